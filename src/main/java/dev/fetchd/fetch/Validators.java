package dev.fetchd.fetch;

import dev.fetchd.crawl.NormalizedUrl;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Locale;

/**
 * What a recrawl sends to revalidate a body an earlier job stored (RFC 9110 section 13): {@code If-None-Match} with
 * the {@code ETag} and {@code If-Modified-Since} with the {@code Last-Modified} that job received. They go only on the
 * hop to {@code url}, the URL that answered with that body (after the earlier job's redirects), so a 304 always speaks
 * of the body they came with.
 *
 * @param url          the earlier job's final URL, normalised (as {@link FetchCall} names hops)
 * @param etag         the ETag as received (strong or weak), or null
 * @param lastModified the Last-Modified as received, or null
 */
public record Validators(String url, String etag, String lastModified) {
  /** Longer values are not sent back: a hostile target must not grow every request (and the index) at will. */
  static final int MAX_ETAG = 1024;
  static final int MAX_DATE = 64;
  /** Conditional headers of a job's own request options: on a revalidating hop only fetchd's apply. */
  private static final List<String> CONDITIONAL = List.of("If-None-Match", "If-Modified-Since", "If-Match",
      "If-Unmodified-Since", "If-Range");

  /**
   * The validators in a kept response head ({@link HttpHeads} wire form) of a body fetched from {@code finalUrl};
   * null when it has neither an ETag nor a Last-Modified (nothing to revalidate with) or the URL does not parse.
   */
  public static Validators fromHead(String finalUrl, String responseHead) {
    if (finalUrl == null || responseHead == null) {
      return null;
    }
    String etag = null;
    String lastModified = null;
    for (String line : responseHead.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      if (etag == null && name.equals("etag") && !value.isEmpty() && value.length() <= MAX_ETAG) {
        etag = value;
      } else if (lastModified == null && name.equals("last-modified") && !value.isEmpty()
          && value.length() <= MAX_DATE) {
        lastModified = value;
      }
    }
    NormalizedUrl u = NormalizedUrl.parse(finalUrl);
    if ((etag == null && lastModified == null) || u == null) {
      return null;
    }
    String url = u.toString();
    return new Validators(url.equals(finalUrl) ? finalUrl : url, etag, lastModified);
  }

  /** Sets the validators on a request, replacing any conditional header the job's own options put there. */
  void apply(MultiMap headers) {
    CONDITIONAL.forEach(headers::remove);
    if (etag != null) {
      headers.set("If-None-Match", etag);
    }
    if (lastModified != null) {
      headers.set("If-Modified-Since", lastModified);
    }
  }
}
