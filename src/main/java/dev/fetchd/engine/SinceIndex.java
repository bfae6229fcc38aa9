package dev.fetchd.engine;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.fetch.Validators;
import dev.fetchd.files.FileStore;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemState;
import dev.fetchd.store.JobStore;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;

/**
 * A recrawl's view of the job named in its {@code since}: for each URL that job stored a body for, the validators it
 * received and the item's index (the body itself is read from the store only when a 304 says it stands). Built when
 * the job starts running, on whichever replica claims it, from the store every replica shares. Compact and bounded:
 * two or three short strings per URL, at most {@code max} URLs (the service's {@code jobs.maxUrls}, the most
 * items a job can have), and nothing for bodies without an ETag or Last-Modified. Keyed by the normalised URL, so a
 * download and a crawl of the same URLs match. Confined to the engine's event loop.
 */
final class SinceIndex {
  /** The earlier job's item at {@code index} stored a body these validators describe. */
  record Entry(int index, Validators validators) {
  }

  static final SinceIndex NONE = new SinceIndex(null, Map.of());
  /** Items per read: a page holds whole items (heads up to 16 KiB each), so it stays modest. */
  static final int PAGE = 500;

  private final String jobId;
  private final Map<String, Entry> byUrl;

  private SinceIndex(String jobId, Map<String, Entry> byUrl) {
    this.jobId = jobId;
    this.byUrl = byUrl;
  }

  /** The earlier job's id; null for {@link #NONE}. */
  String jobId() {
    return jobId;
  }

  int size() {
    return byUrl.size();
  }

  /** What the earlier job saw at {@code url}, or null: then the URL is fetched unconditionally. */
  Entry get(String url) {
    if (byUrl.isEmpty()) {
      return null;
    }
    String key = key(url);
    return key == null ? null : byUrl.get(key);
  }

  /** Reads the succeeded items of {@code jobId} a page at a time, keeping at most {@code max} entries. */
  static Future<SinceIndex> load(JobStore store, String jobId, int max) {
    Map<String, Entry> byUrl = new HashMap<>();
    long[] budget = {MAX_CHARS};
    return page(store, jobId, max, byUrl, null, budget).map(v -> new SinceIndex(jobId, byUrl));
  }

  /**
   * Characters of URLs and validators one index keeps at most (about 32 MiB): URLs may be 8 KiB and ETags 1 KiB
   * each, so without it a recrawl of 100,000 URLs a target made long could hold over a gigabyte.
   */
  static final long MAX_CHARS = 16L << 20;

  private static long chars(String s) {
    return s == null ? 0 : s.length();
  }

  private static Future<Void> page(JobStore store, String jobId, int max, Map<String, Entry> byUrl, String cursor,
                                   long[] budget) {
    return store.items(jobId, ItemState.SUCCEEDED, PAGE, cursor).compose(page -> {
      if (page == null) {
        return Future.<Void>succeededFuture(); // removed since (retention): nothing to revalidate
      }
      for (Item item : page.entries()) {
        if (byUrl.size() >= max) {
          return Future.<Void>succeededFuture();
        }
        if (FileStore.blobHash(item.storedFile()) == null) {
          // nothing stored, or stored by an earlier version under its job's folder, which goes with that job: such
          // a URL is fetched in full rather than left pointing at a body about to be removed
          continue;
        }
        Validators v = Validators.fromHead(item.finalUrl() != null ? item.finalUrl() : item.url(), item.responseHead());
        String key = key(item.url());
        if (v != null && key != null) {
          long size = chars(key) + chars(v.url()) + chars(v.etag()) + chars(v.lastModified());
          if (budget[0] < size) {
            continue; // long URLs and ETags a target chose: past the budget, those URLs are fetched in full
          }
          if (byUrl.putIfAbsent(key, new Entry(item.index(), v)) == null) {
            budget[0] -= size;
          }
        }
      }
      return page.next() == null || byUrl.size() >= max ? Future.<Void>succeededFuture()
          : page(store, jobId, max, byUrl, page.next(), budget);
    });
  }

  private static String key(String url) {
    NormalizedUrl u = NormalizedUrl.parse(url);
    return u == null ? null : u.toString();
  }
}
