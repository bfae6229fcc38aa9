package dev.fetchd.crawl;

/**
 * The parts of an http(s) URL in the normal form {@link UrlNormalizer} produces. Plain data: pure and cheap.
 *
 * @param scheme   {@code http} or {@code https}
 * @param userInfo the user information before {@code @}, percent-normalised, or null (rare; kept, not used)
 * @param host     lowercase ASCII host (IDN in punycode, no trailing dot), or an IPv6 literal in brackets
 * @param port     the explicit port, or -1 when the URL uses the default port of its scheme
 * @param path     the path, starting with {@code /}, dot segments removed, percent-encoding normalised
 * @param query    the query without its {@code ?} (may be empty for a URL ending in {@code ?}), or null
 */
public record NormalizedUrl(String scheme, String userInfo, String host, int port, String path, String query) {

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
