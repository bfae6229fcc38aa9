package dev.fetchd.crawl;

import dev.fetchd.job.CrawlOptions;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * Where a crawl's credentials (Authorization, Proxy-Authorization, the job's cookies, secret headers) may go: the
 * exact origins (scheme, host, port) of its seeds, plus, for scope {@code HOST} or {@code DOMAIN}, the origins in
 * that scope reached by the same scheme or an upgrade: an http seed's credentials may go to https, an https seed's
 * never go over plain http. Scope {@code ANY} adds nothing: a link to any site is not a site the user vouched for.
 * Narrower than {@link CrawlScope}, which decides where the crawl goes and also ignores the scheme.
 *
 * <p>Immutable and thread-safe. A {@code DOMAIN} scope reads the public suffix list: see {@link CrawlScope#warmUp}.
 */
public final class CredentialScope {
  private final CrawlOptions.Scope scope;
  private final Set<String> seedOrigins = new HashSet<>();
  /** Scope keys (host[:port] for HOST, registrable domain for DOMAIN) of every seed: reachable over https. */
  private final Set<String> overHttps = new HashSet<>();
  /** Scope keys of the http seeds only: reachable over http. */
  private final Set<String> overHttp = new HashSet<>();

  public CredentialScope(CrawlOptions.Scope scope, Collection<String> seedUrls) {
    this.scope = scope;
    for (String seed : seedUrls) {
      NormalizedUrl u = UrlNormalizer.parse(seed);
      if (u == null) {
        continue;
      }
      seedOrigins.add(u.origin());
      if (scope != CrawlOptions.Scope.ANY) {
        String key = key(u);
        overHttps.add(key);
        if (u.scheme().equals("http")) {
          overHttp.add(key);
        }
      }
    }
  }

  /** Whether credentials may be sent to {@code target}. */
  public boolean allows(NormalizedUrl target) {
    if (seedOrigins.contains(target.origin())) {
      return true;
    }
    if (scope == CrawlOptions.Scope.ANY) {
      return false;
    }
    return (target.scheme().equals("https") ? overHttps : overHttp).contains(key(target));
  }

  private String key(NormalizedUrl u) {
    return scope == CrawlOptions.Scope.DOMAIN ? CrawlScope.registrableDomain(u.host()) : u.hostPort();
  }
}
