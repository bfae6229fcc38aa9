package dev.fetchd.fetch;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.job.RequestOptions;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.function.Predicate;

/**
 * The request options of one running job, applied hop by hop, scoped like a browser: its User-Agent on every
 * request; its other headers only to the origins it may use ({@code inScope}: the seeds' origins, or a crawl's
 * scope); its credentials (Authorization, Proxy-Authorization, secret headers, its own cookies) only where
 * {@code takesCredentials} says (the seeds' origins, and for a crawl of scope host or domain the in-scope origins
 * of the same scheme or an upgrade), and never after a redirect has left the first origin, as curl and browsers
 * do. Cookies its responses set follow cookie rules (see {@link CookieJar}). Owns the job's {@link CookieJar}.
 * Confined to the engine's event loop.
 */
public final class JobHeaders implements HopHeaders {
  private final RequestOptions options;
  private final Predicate<NormalizedUrl> inScope;
  private final Predicate<NormalizedUrl> takesCredentials;
  private final CookieJar jar = new CookieJar();
  private final String cookieHeader;

  public JobHeaders(RequestOptions options, Predicate<NormalizedUrl> inScope,
                    Predicate<NormalizedUrl> takesCredentials) {
    this.options = options;
    this.inScope = inScope;
    this.takesCredentials = takesCredentials;
    String given = null;
    for (var e : options.headers().entrySet()) {
      if (e.getKey().equalsIgnoreCase("Cookie")) {
        given = e.getValue();
      }
    }
    this.cookieHeader = given;
    options.cookies().forEach(c -> jar.add(c.name(), c.value(), c.domain(), c.path()));
  }

  @Override
  public void apply(NormalizedUrl target, boolean crossedOrigin, MultiMap headers) {
    if (options.userAgent() != null) {
      headers.set("User-Agent", options.userAgent());
    }
    if (!inScope.test(target)) {
      return;
    }
    boolean credentials = !crossedOrigin && takesCredentials.test(target);
    options.headers().forEach((name, value) -> {
      if ((credentials || !options.isSecret(name)) && !name.equalsIgnoreCase("Cookie")) {
        headers.set(name, value);
      }
    });
    if (crossedOrigin) {
      return; // cookies stay behind too, the ones responses set included
    }
    String fromJar = jar.header(target, System.currentTimeMillis(), credentials);
    String given = credentials ? cookieHeader : null;
    String cookie = given == null ? fromJar : fromJar == null ? given : given + "; " + fromJar;
    if (cookie != null) {
      headers.set("Cookie", cookie);
    }
  }

  @Override
  public boolean isSecret(String headerName) {
    return options.isSecret(headerName);
  }

  @Override
  public void received(NormalizedUrl from, List<String> setCookies) {
    if (!setCookies.isEmpty() && inScope.test(from)) {
      jar.store(from, setCookies, System.currentTimeMillis());
    }
  }

  public CookieJar jar() {
    return jar;
  }
}
