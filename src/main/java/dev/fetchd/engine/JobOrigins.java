package dev.fetchd.engine;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.job.Item;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The origins of a download job's URLs: where its headers and cookies may go. Built on the event loop when the
 * job starts, so URLs are grouped by their raw {@code scheme://authority} first (a substring each) and only one
 * URL per group is parsed: 100,000 URLs on a few hosts cost a few milliseconds, not 100,000 parses.
 */
final class JobOrigins {
  private final Set<String> origins = new HashSet<>();

  private JobOrigins() {
  }

  static JobOrigins of(List<Item> items) {
    JobOrigins o = new JobOrigins();
    Set<String> authorities = new HashSet<>();
    for (Item item : items) {
      if (item.depth() == 0) {
        String url = item.url();
        if (authorities.add(authority(url))) {
          NormalizedUrl u = NormalizedUrl.parse(url);
          if (u != null) {
            o.origins.add(u.origin());
          }
        }
      }
    }
    return o;
  }

  /** The URL up to its path, query or fragment, as written: equal prefixes mean equal origins. */
  static String authority(String url) {
    int start = url.indexOf("://");
    int from = start < 0 ? 0 : start + 3;
    int end = url.length();
    for (int i = from; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c == '/' || c == '?' || c == '#' || c == '\\') {
        end = i;
        break;
      }
    }
    return url.substring(0, end);
  }

  boolean contains(NormalizedUrl url) {
    return origins.contains(url.origin());
  }
}
