package dev.fetchd.crawl;

/**
 * The parts of an http(s) URL in the normal form {@link UrlNormalizer} produces. Plain data: pure and cheap.
 *
 * <p>This is fetchd's one URL type, end to end: the API checks submitted URLs with {@link #parse}, every fetch hop is
 * made from it (IDN hosts in punycode, underscores accepted), a redirect's Location is resolved with
 * {@link #resolveLocation}, and politeness buckets come from {@link #hostKey(String)}. A host that parses here is one
 * that can be fetched; java.net.URI (which refuses {@code under_score.example} and {@code bücher.de}) is not used.
 *
 * @param scheme   {@code http} or {@code https}
 * @param userInfo the user information before {@code @}, percent-normalised, or null (rare; kept, not used)
 * @param host     lowercase ASCII host (IDN in punycode, no trailing dot), or an IPv6 literal in brackets
 * @param port     the explicit port, or -1 when the URL uses the default port of its scheme
 * @param path     the path, starting with {@code /}, dot segments removed, percent-encoding normalised
 * @param query    the query without its {@code ?} (may be empty for a URL ending in {@code ?}), or null
 */
public record NormalizedUrl(String scheme, String userInfo, String host, int port, String path, String query) {

  /** The parts of an absolute http(s) URL, or null when it is not a usable one (see {@link UrlNormalizer}). */
  public static NormalizedUrl parse(String url) {
    return UrlNormalizer.parse(url);
  }

  /**
   * The politeness unit of a URL: {@code host:port}, lower-case punycode host (an IPv6 literal keeps its brackets),
   * effective port (80 or 443 by default). A string that is not a usable URL is its own key.
   */
  public static String hostKey(String url) {
    NormalizedUrl u = parse(url);
    return u == null ? url : u.hostKey();
  }

  /** {@code host:port} with the effective port: see {@link #hostKey(String)}. */
  public String hostKey() {
    return host + ":" + effectivePort();
  }

  /**
   * A redirect target: the value of a Location header resolved against this URL (RFC 3986 section 5.2, with
   * the leniencies of {@link UrlNormalizer#resolve(NormalizedUrl, String)}). The header's bytes are taken as
   * UTF-8: HTTP libraries hand header values over one char per byte (ISO-8859-1), so {@code /é} sent as UTF-8
   * arrives as two chars; each byte above 0x7F is percent-encoded as it is, never re-encoded.
   *
   * @return the target, or null when it is not a usable http(s) URL
   */
  public NormalizedUrl resolveLocation(String headerValue) {
    String resolved = UrlNormalizer.resolve(this, UrlNormalizer.percentEncodeHighBytes(headerValue));
    return resolved == null ? null : parse(resolved);
  }

  /** The host without IPv6 brackets: what a socket or TLS name check takes. */
  public String bareHost() {
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  /** The port a connection goes to: the explicit one or the scheme's default (80, 443). */
  public int effectivePort() {
    return port != -1 ? port : UrlNormalizer.defaultPort(scheme);
  }

  /**
   * The origin of the URL as scheme://host:port, always with the effective port, lowercase:
   * {@code https://example.com:443}. robots.txt applies per origin (RFC 9309 section 2.3).
   */
  public String origin() {
    return scheme + "://" + host + ":" + effectivePort();
  }

  /** The robots.txt URL of this URL's origin, in normal form: {@code https://example.com/robots.txt}. */
  public String robotsUrl() {
    return scheme + "://" + hostPort() + "/robots.txt";
  }

  /** host, plus {@code :port} when the port is not the scheme's default. */
  public String hostPort() {
    return port == -1 ? host : host + ":" + port;
  }

  /** Path plus {@code ?query} when there is a query: what goes on an HTTP/1.1 request line. */
  public String pathAndQuery() {
    return query == null ? path : path + "?" + query;
  }

  /** The URL as a string, in normal form. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(scheme.length() + host.length() + path.length()
        + (query == null ? 0 : query.length() + 1) + 16);
    sb.append(scheme).append("://");
    if (userInfo != null) {
      sb.append(userInfo).append('@');
    }
    sb.append(host);
    if (port != -1) {
      sb.append(':').append(port);
    }
    sb.append(path);
    if (query != null) {
      sb.append('?').append(query);
    }
    return sb.toString();
  }
}
