package dev.fetchd.api;

import dev.fetchd.job.Job;
import io.vertx.core.buffer.Buffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The encoded views of finished jobs, for {@code GET /jobs/{id}}. A terminal job never changes again (no store moves a
 * job out of a terminal state), so its JSON is built once and served from here, without a store read, until retention
 * may have removed it: {@code finishedAt + jobs.retentionMs}, the moment the cleaner of any replica may delete it. After
 * that the store is asked again and answers 404 once the job is gone. The API's loop only; least recently read first
 * out, within a count and a byte budget (a view is about a KiB, more with many labels or request headers).
 */
final class FinishedViews {
  /** What a read needs without the job: whose it is (for the token check) and its JSON. */
  record View(String owner, Buffer body, long expiresAtMs) {
  }

  private final long retentionMs;
  private final int maxViews;
  private final long maxBytes;
  private final LinkedHashMap<String, View> views = new LinkedHashMap<>(256, 0.75f, true);
  private long bytes;

  FinishedViews(long retentionMs, int maxViews, long maxBytes) {
    this.retentionMs = retentionMs;
    this.maxViews = maxViews;
    this.maxBytes = maxBytes;
  }

  /** The view of a finished job read before, or null: never seen, or retention may have removed it since. */
  View get(String id, long nowMs) {
    View v = views.get(id);
    if (v != null && nowMs >= v.expiresAtMs()) {
      remove(id);
      return null;
    }
    return v;
  }

  /** The JSON of {@code job}; kept for the next reads if the job is finished. */
  Buffer encode(Job job, long nowMs) {
    Buffer body = Buffer.buffer(JobViews.job(job).encode());
    if (job.state().isTerminal() && job.finishedAt() != null && body.length() <= maxBytes) {
      long expires = job.finishedAt().toEpochMilli() + retentionMs;
      if (expires > nowMs) {
        remove(job.id());
        views.put(job.id(), new View(job.owner(), body, expires));
        bytes += body.length();
        Iterator<View> eldest = views.values().iterator();
        while (views.size() > maxViews || bytes > maxBytes) {
          bytes -= eldest.next().body().length();
          eldest.remove();
        }
      }
    }
    return body;
  }

  private void remove(String id) {
    View v = views.remove(id);
    if (v != null) {
      bytes -= v.body().length();
    }
  }
}
