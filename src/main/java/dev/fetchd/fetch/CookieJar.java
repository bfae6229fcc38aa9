package dev.fetchd.fetch;

import dev.fetchd.crawl.CrawlScope;
import dev.fetchd.crawl.NormalizedUrl;
import io.netty.handler.codec.http.cookie.ClientCookieDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The cookies of one running job (RFC 6265, minimally): the job's own cookies, then what its responses set with
 * Set-Cookie. Domain (host-only without it; a Domain must cover the responding host and not be a public suffix),
 * Path (default: the directory of the request path), Secure (https only) and Max-Age/Expires (netty turns Expires
 * into a Max-Age) are honoured; SameSite and HttpOnly do not apply to a crawler. A cookie set over https is sent
 * over https only, Secure or not: a session a site opened over TLS is not downgraded to plain http (as with the
 * job's credentials). The job's own cookies are credentials: sent only when the caller says credentials may go.
 * Bounded: the oldest go first. One jar per job and run, never shared: a job never sees another's cookies.
 * Confined to the engine's event loop.
 */
public final class CookieJar {
  static final int MAX_COOKIES = 256;
  static final int MAX_COOKIE_BYTES = 4096;

  /**
   * {@code domain} null: a cookie of the job sent wherever its credentials go (no domain given with it).
   * {@code httpsOnly}: Secure, or set over https. {@code fromJob}: given with the job, not set by a response.
   */
  private record Entry(String name, String value, String domain, boolean hostOnly, String path, boolean httpsOnly,
                       boolean fromJob, long expiresAtMs, long seq) {
  }

  private final List<Entry> entries = new ArrayList<>();
  private long seq;

  /** A cookie given with the job: no expiry; without a domain it goes to every origin its credentials go to. */
  public void add(String name, String value, String domain, String path) {
    put(new Entry(name, value, domain, false, path == null ? "/" : path, false, true, Long.MAX_VALUE, seq++));
  }

  /** Stores what a response from {@code from} set; malformed or foreign-domain cookies are ignored. */
  public void store(NormalizedUrl from, List<String> setCookies, long nowMs) {
    for (String header : setCookies) {
      if (header.length() > MAX_COOKIE_BYTES) {
        continue;
      }
      Cookie c = ClientCookieDecoder.LAX.decode(header);
      if (c == null) {
        continue;
      }
      String host = from.bareHost().toLowerCase(Locale.ROOT);
      String domain = c.domain() == null ? null : c.domain().toLowerCase(Locale.ROOT);
      if (domain != null && domain.startsWith(".")) {
        domain = domain.substring(1);
      }
      boolean hostOnly = domain == null || domain.isEmpty();
      if (hostOnly) {
        domain = host;
      } else if (!mayCover(domain, host)) {
        continue;
      }
      String path = c.path() == null || !c.path().startsWith("/") ? defaultPath(from.path()) : c.path();
      if (c.isSecure() && !from.scheme().equals("https")) {
        continue; // RFC 6265bis: only a secure origin sets a Secure cookie
      }
      long expires = c.maxAge() == Cookie.UNDEFINED_MAX_AGE ? Long.MAX_VALUE
          : c.maxAge() <= 0 ? Long.MIN_VALUE : nowMs + Math.min(c.maxAge(), Long.MAX_VALUE / 2000) * 1000;
      boolean httpsOnly = c.isSecure() || from.scheme().equals("https");
      Entry e = new Entry(c.name(), c.value(), domain, hostOnly, path, httpsOnly, false, expires, seq++);
      if (expires <= nowMs) {
        remove(e); // Max-Age=0 or an Expires in the past deletes it
      } else {
        put(e);
      }
    }
  }

  /**
   * The Cookie header value for a request to {@code to} ("a=1; b=2", longer paths first), or null for none.
   *
   * @param jobCookies whether the job's own cookies may go there (where its credentials may go)
   */
  public String header(NormalizedUrl to, long nowMs, boolean jobCookies) {
    String host = to.bareHost().toLowerCase(Locale.ROOT);
    boolean https = to.scheme().equals("https");
    List<Entry> out = new ArrayList<>();
    for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (e.expiresAtMs() <= nowMs) {
        it.remove();
        continue;
      }
      boolean hostOk = e.domain() == null || (e.hostOnly() ? host.equals(e.domain()) : domainMatch(host, e.domain()));
      if ((jobCookies || !e.fromJob()) && hostOk && pathMatch(to.path(), e.path()) && (!e.httpsOnly() || https)) {
        out.add(e);
      }
    }
    if (out.isEmpty()) {
      return null;
    }
    out.sort(Comparator.comparingInt((Entry e) -> -e.path().length()).thenComparingLong(Entry::seq));
    StringBuilder sb = new StringBuilder();
    for (Entry e : out) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(e.name()).append('=').append(e.value());
    }
    return sb.toString();
  }

  public int size() {
    return entries.size();
  }

  private void put(Entry e) {
    remove(e);
    entries.add(e);
    if (entries.size() > MAX_COOKIES) {
      entries.remove(0);
    }
  }

  private void remove(Entry e) {
    entries.removeIf(x -> x.name().equals(e.name()) && java.util.Objects.equals(x.domain(), e.domain())
        && x.path().equals(e.path()));
  }

  /** Whether a response from {@code host} may set a cookie for {@code domain}: it covers the host, and is no wider
   *  than the host's registrable domain (never a public suffix such as com or co.uk). */
  static boolean mayCover(String domain, String host) {
    if (domain.equals(host)) {
      return true;
    }
    if (!domainMatch(host, domain) || isIp(host)) {
      return false;
    }
    return domainMatch(domain, CrawlScope.registrableDomain(host));
  }

  /** RFC 6265 5.1.3: the host is the domain or a subdomain of it. */
  static boolean domainMatch(String host, String domain) {
    return host.equals(domain) || (host.endsWith("." + domain) && !isIp(host));
  }

  /** RFC 6265 5.1.4. */
  static boolean pathMatch(String requestPath, String cookiePath) {
    if (requestPath.equals(cookiePath)) {
      return true;
    }
    return requestPath.startsWith(cookiePath)
        && (cookiePath.endsWith("/") || requestPath.charAt(cookiePath.length()) == '/');
  }

  /** RFC 6265 5.1.4: the request path up to its last '/', or "/". */
  static String defaultPath(String path) {
    int last = path == null ? -1 : path.lastIndexOf('/');
    return last <= 0 ? "/" : path.substring(0, last);
  }

  private static boolean isIp(String host) {
    return host.indexOf(':') >= 0 || host.chars().allMatch(ch -> ch == '.' || (ch >= '0' && ch <= '9'));
  }
}
