package dev.fetchd.fetch;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.job.RequestOptions;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.function.Predicate;

/**
 * The request options of one running job, applied hop by hop, scoped like a browser: its User-Agent on every
 * request; its headers and cookies only to the origins it may use ({@code inScope}: the seeds' origins, or a
 * crawl's scope); credentials (Authorization, Proxy-Authorization, Cookie, secret headers, the jar's cookies) never
 * after a redirect has left the first origin, as curl and browsers do. Owns the job's {@link CookieJar}.
 * Confined to the engine's event loop.
 */
public final class JobHeaders implements HopHeaders {
  private final RequestOptions options;
  private final Predicate<NormalizedUrl> inScope;
  private final CookieJar jar = new CookieJar();
  private final String cookieHeader;

  public JobHeaders(RequestOptions options, Predicate<NormalizedUrl> inScope) {
    this.options = options;
    this.inScope = inScope;
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
    options.headers().forEach((name, value) -> {
      if (!(crossedOrigin && options.isSecret(name)) && !name.equalsIgnoreCase("Cookie")) {
        headers.set(name, value);
      }
    });
    if (crossedOrigin) {
      return;
    }
    String fromJar = jar.header(target, System.currentTimeMillis());
    String cookie = cookieHeader == null ? fromJar : fromJar == null ? cookieHeader : cookieHeader + "; " + fromJar;
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
