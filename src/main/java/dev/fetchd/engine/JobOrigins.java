package dev.fetchd.engine;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.job.Item;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The origins of a download job's URLs: where its headers and cookies may go. */
final class JobOrigins {
  private final Set<String> origins = new HashSet<>();

  private JobOrigins() {
  }

  static JobOrigins of(List<Item> items) {
    JobOrigins o = new JobOrigins();
    for (Item item : items) {
      if (item.depth() == 0) {
        NormalizedUrl u = NormalizedUrl.parse(item.url());
        if (u != null) {
          o.origins.add(u.origin());
        }
      }
    }
    return o;
  }

  boolean contains(NormalizedUrl url) {
    return origins.contains(url.origin());
  }
}
