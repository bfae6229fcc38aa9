package dev.fetchd.crawl;

import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Puts http(s) URLs in one normal form, so that one resource spelt many ways is fetched once per job.
 *
 * <p>Pure, stateless, thread-safe and cheap (linear in the URL's length, microseconds): fine on the event loop.
 *
 * <p>What the normal form is:
 * <ul>
 *   <li>only {@code http} and {@code https} URLs with a host are usable; anything else gives null
 *       ({@code mailto:}, {@code javascript:}, {@code data:}, {@code ftp:}, no host, bad port, bad host, longer than
 *       {@link #MAX_LENGTH} characters...);</li>
 *   <li>leading and trailing spaces and C0 controls are stripped, tabs and newlines inside are removed, and
 *       {@code \} counts as {@code /} before the query (as browsers do, WHATWG URL);</li>
 *   <li>scheme and host are lowercase; an internationalised host is converted to punycode ({@code java.net.IDN},
 *       IDNA 2003); a trailing dot of the host is dropped; percent-escapes in the host are decoded first;</li>
 *   <li>the default port (80 for http, 443 for https) is dropped, other ports are kept without leading zeros;</li>
 *   <li>the fragment is dropped;</li>
 *   <li>the path's dot segments are resolved (RFC 3986 section 5.2.4); an empty path becomes {@code /};
 *       repeated slashes are kept (they can name another resource);</li>
 *   <li>percent-encoding in path, query and user info is normalised (RFC 3986 section 6.2.2): escapes of unreserved
 *       characters are decoded ({@code %7E} becomes {@code ~}), other escapes get uppercase hex ({@code %2f} becomes
 *       {@code %2F}: reserved characters stay escaped, their meaning differs), and every character RFC 3986 does
 *       not allow there is encoded as UTF-8 ({@code space} becomes {@code %20}, {@code é} becomes {@code %C3%A9},
 *       {@code |} becomes {@code %7C}, a {@code %} not followed by two hex digits becomes {@code %25});</li>
 *   <li>the query is kept as it is apart from percent-encoding: parameters are not sorted or removed (their order
 *       can matter), {@code +} stays {@code +}, and an empty query ({@code /a?}) stays.</li>
 * </ul>
 * The output is a valid RFC 3986 URI ({@code java.net.URI.create} accepts it), and normalising it again gives the same
 * string.
 *
 * <p>Why not crawler-commons' {@code BasicURLNormalizer}: it sorts query parameters and drops empty ones
 * ({@code ?b=1&a=2} becomes {@code ?a=2&b=1}), and it goes through {@code java.net.URL}, which is lenient in other
 * ways (it prefixes {@code http://} to scheme-less strings; its 1.4 release rejects IPv6 hosts).
 */
public final class UrlNormalizer {

  /** URLs longer than this (after trimming) are not usable; most servers refuse more than 8 KiB anyway. */
  public static final int MAX_LENGTH = 8192;

  private static final String HEX = "0123456789ABCDEF";

  /** Characters allowed as they are in a path: unreserved, sub-delims, ':', '@', '/'. */
  private static final boolean[] PATH_OK = new boolean[128];
  /** In a query, also '?'. */
  private static final boolean[] QUERY_OK = new boolean[128];
  /** In user info: unreserved, sub-delims, ':'. */
  private static final boolean[] USERINFO_OK = new boolean[128];

  static {
    for (int c = 0; c < 128; c++) {
      boolean unreservedOrSubDelim = isUnreserved(c) || "!$&'()*+,;=".indexOf(c) >= 0;
      USERINFO_OK[c] = unreservedOrSubDelim || c == ':';
      PATH_OK[c] = unreservedOrSubDelim || c == ':' || c == '@' || c == '/';
      QUERY_OK[c] = PATH_OK[c] || c == '?';
    }
  }

  private UrlNormalizer() {
  }

  /** The normal form of an absolute http(s) URL, or null if it is not a usable one. */
  public static String normalize(String url) {
    NormalizedUrl u = parse(url);
    return u == null ? null : u.toString();
  }

  /** Like {@link #normalize} but returns the parts, or null if the URL is not a usable absolute http(s) URL. */
  public static NormalizedUrl parse(String url) {
    if (url == null) {
      return null;
    }
    String s = clean(url);
    int colon = schemeEnd(s);
    if (colon < 0) {
      return null;
    }
    String scheme = s.substring(0, colon).toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return null;
    }
    if (s.length() > MAX_LENGTH) {
      return null;
    }
    return parseHierarchical(scheme, s, colon + 1);
  }

  /**
   * Resolves a reference (an href, a src, a Location header) against an absolute base URL, as a browser does
   * (RFC 3986 section 5.2 with the WHATWG leniencies listed on this class), and normalises the result.
   *
   * @return the normal form of the resolved URL, or null if the base is not a usable http(s) URL or the result is not
   *     an http(s) URL (a {@code mailto:} or {@code javascript:} link gives null)
   */
  public static String resolve(String base, String ref) {
    NormalizedUrl b = parse(base);
    if (b == null || ref == null) {
      return null;
    }
    return resolve(b, ref);
  }

  /** {@link #resolve(String, String)} with a base already parsed: saves parsing it for every link of a page. */
  public static String resolve(NormalizedUrl base, String ref) {
    String r = clean(ref);
    if (r.length() > MAX_LENGTH) {
      return null;
    }
    int colon = schemeEnd(r);
    if (colon >= 0) {
      String scheme = r.substring(0, colon).toLowerCase(Locale.ROOT);
      boolean special = scheme.equals("http") || scheme.equals("https");
      // WHATWG: "http:foo" against an http base is relative; with any slash after the colon it is absolute
      if (special && scheme.equals(base.scheme()) && colon + 1 < r.length() && !isSlash(r.charAt(colon + 1))) {
        r = r.substring(colon + 1);
      } else if (special && scheme.equals(base.scheme()) && colon + 1 == r.length()) {
        r = "";
      } else {
        return normalize(r);
      }
    }
    int hash = r.indexOf('#');
    if (hash >= 0) {
      r = r.substring(0, hash);
    }
    r = backslashesToSlashes(r);
    String authority = base.scheme() + "://" + (base.userInfo() == null ? "" : base.userInfo() + "@")
        + base.hostPort();
    String target;
    if (r.startsWith("//")) {
      target = base.scheme() + ":" + r;
    } else if (r.isEmpty()) {
      return base.toString();
    } else if (r.charAt(0) == '?') {
      target = authority + base.path() + r;
    } else if (r.charAt(0) == '/') {
      target = authority + r;
    } else {
      String dir = base.path().substring(0, base.path().lastIndexOf('/') + 1);
      target = authority + dir + r;
    }
    return normalize(target);
  }

  /**
   * Percent-encodes every char above 0x7F of a header value as the byte it stands for. Header values arrive one char
   * per byte (ISO-8859-1); a char above 0xFF (not from the wire) is encoded as its UTF-8 bytes.
   */
  public static String percentEncodeHighBytes(String headerValue) {
    StringBuilder sb = null;
    for (int i = 0; i < headerValue.length(); i++) {
      char c = headerValue.charAt(i);
      if (c < 0x80) {
        if (sb != null) {
          sb.append(c);
        }
        continue;
      }
      sb = grow(sb, headerValue, i);
      if (c <= 0xFF) {
        sb.append('%').append(HEX.charAt(c >> 4)).append(HEX.charAt(c & 15));
      } else {
        for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
          sb.append('%').append(HEX.charAt((b >> 4) & 15)).append(HEX.charAt(b & 15));
        }
      }
    }
    return sb == null ? headerValue : sb.toString();
  }

  /** The scheme of a string that starts with one ({@code scheme:}), lower-case, or null. */
  public static String schemeOf(String url) {
    String s = clean(url);
    int colon = schemeEnd(s);
    return colon < 0 ? null : s.substring(0, colon).toLowerCase(Locale.ROOT);
  }

  /** 80 for http, 443 for https, -1 otherwise. */
  public static int defaultPort(String scheme) {
    if ("http".equals(scheme)) {
      return 80;
    }
    if ("https".equals(scheme)) {
      return 443;
    }
    return -1;
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static NormalizedUrl parseHierarchical(String scheme, String s, int from) {
    int i = from;
    int n = s.length();
    while (i < n && isSlash(s.charAt(i))) { // WHATWG: any number of slashes (or backslashes) before the authority
      i++;
    }
    int authEnd = i;
    while (authEnd < n && "/\\?#".indexOf(s.charAt(authEnd)) < 0) {
      authEnd++;
    }
    String authority = s.substring(i, authEnd);
    int at = authority.lastIndexOf('@');
    String userInfo = null;
    if (at >= 0) {
      userInfo = at == 0 ? null : percentNormalize(authority.substring(0, at), USERINFO_OK);
      authority = authority.substring(at + 1);
    }
    String hostPart = authority;
    String portPart = null;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) {
        return null;
      }
      hostPart = authority.substring(0, close + 1);
      String rest = authority.substring(close + 1);
      if (!rest.isEmpty()) {
        if (rest.charAt(0) != ':') {
          return null;
        }
        portPart = rest.substring(1);
      }
    } else {
      int c = authority.lastIndexOf(':');
      if (c >= 0) {
        hostPart = authority.substring(0, c);
        portPart = authority.substring(c + 1);
      }
    }
    String host = normalizeHost(hostPart);
    if (host == null) {
      return null;
    }
    int port = -1;
    if (portPart != null && !portPart.isEmpty()) {
      port = parsePort(portPart);
      if (port < 0) {
        return null;
      }
      if (port == defaultPort(scheme)) {
        port = -1;
      }
    }

    int end = s.indexOf('#', authEnd);
    if (end < 0) {
      end = n;
    }
    int q = s.indexOf('?', authEnd);
    if (q > end) {
      q = -1;
    }
    String rawPath = s.substring(authEnd, q >= 0 ? q : end);
    String rawQuery = q >= 0 ? s.substring(q + 1, end) : null;

    String path = percentNormalize(backslashesToSlashes(rawPath), PATH_OK);
    path = removeDotSegments(path);
    String query = rawQuery == null ? null : percentNormalize(rawQuery, QUERY_OK);
    return new NormalizedUrl(scheme, userInfo, host, port, path, query);
  }

  /** Strips leading/trailing C0 controls and spaces; removes tabs and newlines anywhere (WHATWG URL parsing). */
  private static String clean(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && s.charAt(start) <= ' ') {
      start++;
    }
    while (end > start && s.charAt(end - 1) <= ' ') {
      end--;
    }
    StringBuilder sb = null;
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (c == '\t' || c == '\n' || c == '\r') {
        if (sb == null) {
          sb = new StringBuilder(end - start);
          sb.append(s, start, i);
        }
      } else if (sb != null) {
        sb.append(c);
      }
    }
    return sb != null ? sb.toString() : s.substring(start, end);
  }

  /** Index of the colon ending a leading scheme, or -1 when the string does not start with {@code scheme:}. */
  private static int schemeEnd(String s) {
    if (s.isEmpty() || !isAlpha(s.charAt(0))) {
      return -1;
    }
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == ':') {
        return i;
      }
      if (!(isAlpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) {
        return -1;
      }
    }
    return -1;
  }

  private static String normalizeHost(String raw) {
    if (raw.isEmpty()) {
      return null;
    }
    if (raw.charAt(0) == '[') {
      String inner = raw.substring(1, raw.length() - 1).toLowerCase(Locale.ROOT);
      if (inner.isEmpty() || inner.indexOf(':') < 0) {
        return null;
      }
      for (int i = 0; i < inner.length(); i++) {
        char c = inner.charAt(i);
        if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == ':' || c == '.')) {
          return null; // zone ids and IPvFuture are not usable for fetching
        }
      }
      return "[" + inner + "]";
    }
    String host = raw;
    if (host.indexOf('%') >= 0) {
      host = percentDecodeUtf8(host);
      if (host == null) {
        return null;
      }
    }
    host = host.toLowerCase(Locale.ROOT);
    if (!isAscii(host)) {
      try {
        host = IDN.toASCII(host, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
      } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
        return null;
      }
    }
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.isEmpty() || host.length() > 253) {
      return null;
    }
    int labelStart = 0;
    for (int i = 0; i <= host.length(); i++) {
      char c = i < host.length() ? host.charAt(i) : '.';
      if (c == '.') {
        int len = i - labelStart;
        if (len == 0 || len > 63) {
          return null;
        }
        labelStart = i + 1;
      } else if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
        return null;
      }
    }
    return host;
  }

  private static int parsePort(String p) {
    int start = 0;
    while (start < p.length() - 1 && p.charAt(start) == '0') {
      start++;
    }
    if (p.length() - start > 5) {
      return -1;
    }
    int v = 0;
    for (int i = start; i < p.length(); i++) {
      char c = p.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v > 65535 ? -1 : v;
  }

  /**
   * Decodes escapes of unreserved characters, uppercases the hex of the others, encodes what {@code ok} does not
   * allow (as UTF-8), and escapes a lone {@code %}.
   */
  static String percentNormalize(String s, boolean[] ok) {
    StringBuilder sb = null;
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 < n && isHex(s.charAt(i + 1)) && isHex(s.charAt(i + 2))) {
          int v = Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16);
          char h1 = s.charAt(i + 1);
          char h2 = s.charAt(i + 2);
          if (isUnreserved(v)) {
            sb = grow(sb, s, i);
            sb.append((char) v);
          } else if (Character.isLowerCase(h1) || Character.isLowerCase(h2)) {
            sb = grow(sb, s, i);
            sb.append('%').append(HEX.charAt(v >> 4)).append(HEX.charAt(v & 15));
          } else if (sb != null) {
            sb.append(c).append(h1).append(h2);
          }
          i += 2;
        } else {
          sb = grow(sb, s, i);
          sb.append("%25");
        }
      } else if (c < 128 && ok[c]) {
        if (sb != null) {
          sb.append(c);
        }
      } else {
        sb = grow(sb, s, i);
        int cp;
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          cp = Character.toCodePoint(c, s.charAt(i + 1));
          i++;
        } else if (Character.isSurrogate(c)) {
          cp = 0xFFFD;
        } else {
          cp = c;
        }
        for (byte b : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
          sb.append('%').append(HEX.charAt((b >> 4) & 15)).append(HEX.charAt(b & 15));
        }
      }
    }
    return sb == null ? s : sb.toString();
  }

  private static StringBuilder grow(StringBuilder sb, String s, int upTo) {
    if (sb != null) {
      return sb;
    }
    StringBuilder b = new StringBuilder(s.length() + 16);
    b.append(s, 0, upTo);
    return b;
  }

  /** RFC 3986 section 5.2.4 on an absolute path; an empty path gives "/". Empty segments are kept. */
  static String removeDotSegments(String path) {
    if (path.isEmpty()) {
      return "/";
    }
    if (path.indexOf('.') < 0) {
      return path;
    }
    String[] segs = path.split("/", -1);
    List<String> out = new ArrayList<>(segs.length);
    for (int i = 1; i < segs.length; i++) {
      String seg = segs[i];
      boolean last = i == segs.length - 1;
      if (seg.equals(".")) {
        if (last) {
          out.add("");
        }
      } else if (seg.equals("..")) {
        if (!out.isEmpty()) {
          out.remove(out.size() - 1);
        }
        if (last) {
          out.add("");
        }
      } else {
        out.add(seg);
      }
    }
    return "/" + String.join("/", out);
  }

  private static String percentDecodeUtf8(String s) {
    byte[] out = new byte[s.length()];
    int len = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%') {
        if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
          return null;
        }
        out[len++] = (byte) (Character.digit(s.charAt(i + 1), 16) * 16 + Character.digit(s.charAt(i + 2), 16));
        i += 2;
      } else if (c < 128) {
        out[len++] = (byte) c;
      } else {
        // mixed raw non-ASCII and escapes: encode the char and keep going
        byte[] enc = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (len + enc.length > out.length) {
          out = java.util.Arrays.copyOf(out, out.length + enc.length + 16);
        }
        System.arraycopy(enc, 0, out, len, enc.length);
        len += enc.length;
      }
    }
    return new String(out, 0, len, StandardCharsets.UTF_8);
  }

  private static String backslashesToSlashes(String s) {
    int q = s.indexOf('?');
    int limit = q < 0 ? s.length() : q;
    if (s.lastIndexOf('\\', limit - 1) < 0) {
      return s;
    }
    return s.substring(0, limit).replace('\\', '/') + s.substring(limit);
  }

  private static boolean isSlash(char c) {
    return c == '/' || c == '\\';
  }

  private static boolean isAlpha(int c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
  }

  private static boolean isHex(char c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
  }

  private static boolean isUnreserved(int c) {
    return isAlpha(c) || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~';
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 128) {
        return false;
      }
    }
    return true;
  }
}
