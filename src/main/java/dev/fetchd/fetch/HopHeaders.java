package dev.fetchd.fetch;

import dev.fetchd.crawl.NormalizedUrl;
import io.vertx.core.MultiMap;
import java.util.List;

/**
 * What the requests of one fetch carry beyond fetchd's own headers, decided hop by hop (a redirect may lead to
 * another origin), and what its responses set. Called on the fetch's event loop.
 */
public interface HopHeaders {

  /**
   * Adds or replaces headers of the request to {@code target}.
   *
   * @param crossedOrigin an earlier hop of this fetch was at another origin: credentials stay behind
   */
  void apply(NormalizedUrl target, boolean crossedOrigin, MultiMap headers);

  /** Whether the value of this header must not be shown (it is written as "***" in a kept request head). */
  default boolean isSecret(String headerName) {
    return HttpHeads.alwaysSecret(headerName);
  }

  /** A response from {@code from} arrived (a redirect included) with these Set-Cookie values. */
  default void received(NormalizedUrl from, List<String> setCookies) {
  }

  /** Only a User-Agent of its own (robots.txt is fetched with nothing else). */
  static HopHeaders userAgent(String userAgent) {
    return (target, crossed, headers) -> headers.set("User-Agent", userAgent);
  }
}
