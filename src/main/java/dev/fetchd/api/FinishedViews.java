package dev.fetchd.api;

import dev.fetchd.job.Job;
import io.vertx.core.buffer.Buffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The encoded views of finished jobs, for {@code GET /jobs/{id}}. A terminal job never changes again (no store moves a
 * job out of a terminal state), so its JSON is built once and served from here, without a store read, until retention
 * may have removed it: {@code finishedAt + jobs.retentionMs}, the moment the cleaner of any replica may delete it. After
 * that the store is asked again and answers 404 once the job is gone. The API's loop only; least recently read first
 * out, so a few thousand views (about a KiB each) bound it.
 */
final class FinishedViews {
  /** What a read needs without the job: whose it is (for the token check) and its JSON. */
  record View(String owner, Buffer body, long expiresAtMs) {
  }

  private final long retentionMs;
  private final Map<String, View> views;

  FinishedViews(long retentionMs, int max) {
    this.retentionMs = retentionMs;
    this.views = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, View> eldest) {
        return size() > max;
      }
    };
  }

  /** The view of a finished job read before, or null: never seen, or retention may have removed it since. */
  View get(String id, long nowMs) {
    View v = views.get(id);
    if (v != null && nowMs >= v.expiresAtMs()) {
      views.remove(id);
      return null;
    }
    return v;
  }

  /** The JSON of {@code job}; kept for the next reads if the job is finished. */
  Buffer encode(Job job, long nowMs) {
    Buffer body = Buffer.buffer(JobViews.job(job).encode());
    if (job.state().isTerminal() && job.finishedAt() != null) {
      long expires = job.finishedAt().toEpochMilli() + retentionMs;
      if (expires > nowMs) {
        views.put(job.id(), new View(job.owner(), body, expires));
      }
    }
    return body;
  }
}
