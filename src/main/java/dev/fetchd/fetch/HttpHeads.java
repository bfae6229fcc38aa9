package dev.fetchd.fetch;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpVersion;
import java.util.Map;
import java.util.function.BinaryOperator;
import java.util.function.Predicate;

/**
 * The heads of one exchange in HTTP/1.1 wire form (each line ends in CRLF, no blank line at the end), kept with
 * the item for the WARC export. Bounded: a hostile target can send thousands of headers, and every head is stored
 * with its item, so at most {@link #MAX_HEADERS} headers and {@link #MAX_CHARS} characters are kept; what is left
 * out is named by a last {@code X-Fetchd-Truncated} line. Secrets are never kept: a request's secret header values
 * and a response's Set-Cookie values read "***".
 */
public final class HttpHeads {
  static final int MAX_HEADERS = 64;
  static final int MAX_CHARS = 16 * 1024;
  static final String TRUNCATED = "X-Fetchd-Truncated";

  private HttpHeads() {
  }

  /**
   * The status line and headers as received (HTTP/2 answers written as HTTP/1.1, as WARC readers expect), each
   * Set-Cookie value as "***": a session a site hands out is a credential, as the Cookie that carries it back is.
   */
  static String response(HttpClientResponse r) {
    String version = r.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1";
    String reason = r.statusMessage() == null ? "" : r.statusMessage();
    return build(version + " " + r.statusCode() + " " + reason, r.headers(),
        (name, value) -> isSetCookie(name) ? redactSetCookie(value) : value);
  }

  /** The request line and headers as sent, the values of {@code secret} headers replaced by "***". */
  static String request(String method, String pathAndQuery, MultiMap headers, Predicate<String> secret) {
    return build(method + " " + pathAndQuery + " HTTP/1.1", headers,
        (name, value) -> secret.test(name) ? dev.fetchd.job.RequestOptions.REDACTED : value);
  }

  /** Set-Cookie, or the obsolete Set-Cookie2 (RFC 2965), in any case. */
  public static boolean isSetCookie(String name) {
    return name.equalsIgnoreCase("Set-Cookie") || name.equalsIgnoreCase("Set-Cookie2");
  }

  /**
   * A Set-Cookie value with its cookie value as "***", its name and attributes kept ({@code session=***; Path=/;
   * HttpOnly}): what a reader of the archive needs, without the session. An empty value (a deletion) stays empty;
   * a pair without '=' is all value (RFC 6265bis) and is hidden whole.
   */
  public static String redactSetCookie(String value) {
    if (value.indexOf(',') < 0) {
      return redactOneCookie(value);
    }
    // RFC 6265 forbids folding several cookies into one line with commas, but servers do it: each cookie's value
    // goes. A comma starts a cookie only when a token and '=' follow, so an Expires date's comma does not.
    StringBuilder out = new StringBuilder();
    int start = 0;
    java.util.regex.Matcher m = FOLD.matcher(value);
    while (m.find()) {
      out.append(redactOneCookie(value.substring(start, m.start()))).append(',');
      start = m.end();
    }
    return out.append(redactOneCookie(value.substring(start))).toString();
  }

  private static final java.util.regex.Pattern FOLD =
      java.util.regex.Pattern.compile(",(?=\\s*[!#$%&'*+\\-.^_`|~0-9A-Za-z]+=)");

  private static String redactOneCookie(String value) {
    int semi = value.indexOf(';');
    String pair = semi < 0 ? value : value.substring(0, semi);
    String attributes = semi < 0 ? "" : value.substring(semi);
    int eq = pair.indexOf('=');
    if (eq < 0) {
      return pair.isBlank() ? value : dev.fetchd.job.RequestOptions.REDACTED + attributes;
    }
    if (pair.substring(eq + 1).isBlank()) {
      return value;
    }
    return pair.substring(0, eq + 1) + dev.fetchd.job.RequestOptions.REDACTED + attributes;
  }

  /** Fields a 304 never updates in a stored head: they describe the 304's own framing, not the body kept. */
  private static final java.util.Set<String> NOT_UPDATED = java.util.Set.of("content-length", "transfer-encoding",
      "content-encoding", "content-range", "connection", "keep-alive", TRUNCATED.toLowerCase(java.util.Locale.ROOT));

  /**
   * The head of a body revalidated by a 304, as a cache keeps it (RFC 9111 section 3.2): the head stored with the
   * body, each field the 304 sent (Date, ETag, Cache-Control...) replacing the stored one of that name, framing
   * fields excepted. The status line stays the stored one's: the head still describes that body. Without a stored
   * head (an item fetched before heads were kept) it starts from {@code 200} and the stored content type. Bounded as
   * every head: when the merge would exceed {@link #MAX_CHARS}, the stored head is kept as it was.
   */
  public static String revalidated(String stored, String notModified, String contentType) {
    String base = stored != null ? stored
        : "HTTP/1.1 200 OK\r\n" + (contentType == null ? "" : "Content-Type: " + oneLine(contentType, 1024) + "\r\n");
    if (notModified == null) {
      return base;
    }
    java.util.List<String> updates = new java.util.ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    String[] fresh = notModified.split("\r\n");
    for (int i = 1; i < fresh.length; i++) {
      int colon = fresh[i].indexOf(':');
      String name = colon <= 0 ? null : fresh[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
      if (name != null && !NOT_UPDATED.contains(name)) {
        updates.add(fresh[i]);
        names.add(name);
      }
    }
    StringBuilder sb = new StringBuilder(base.length() + notModified.length());
    String[] lines = base.split("\r\n");
    String truncated = null;
    for (int i = 0; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      String name = i == 0 || colon <= 0 ? null : lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
      if (name != null && name.equals(TRUNCATED.toLowerCase(java.util.Locale.ROOT))) {
        truncated = lines[i]; // stays the last line
      } else if (name == null || !names.contains(name)) {
        sb.append(lines[i]).append("\r\n");
      }
    }
    updates.forEach(u -> sb.append(u).append("\r\n"));
    if (truncated != null) {
      sb.append(truncated).append("\r\n");
    }
    return sb.length() <= MAX_CHARS ? sb.toString() : base;
  }

  static boolean alwaysSecret(String headerName) {
    return dev.fetchd.job.RequestOptions.ALWAYS_SECRET.contains(headerName.toLowerCase(java.util.Locale.ROOT));
  }

  /** {@code shown}: the value kept for a header (name, value as received or sent). */
  private static String build(String firstLine, MultiMap headers, BinaryOperator<String> shown) {
    StringBuilder sb = new StringBuilder(256).append(oneLine(firstLine, MAX_CHARS / 2)).append("\r\n");
    int kept = 0;
    int left = 0;
    for (Map.Entry<String, String> h : headers) {
      String value = shown.apply(h.getKey(), h.getValue());
      String line = oneLine(h.getKey(), 256) + ": " + oneLine(value, MAX_CHARS) + "\r\n";
      if (kept < MAX_HEADERS && sb.length() + line.length() <= MAX_CHARS) {
        sb.append(line);
        kept++;
      } else {
        left++;
      }
    }
    if (left > 0) {
      sb.append(TRUNCATED).append(": ").append(left).append(" header(s) left out\r\n");
    }
    return sb.toString();
  }

  /** No CR, LF or NUL inside a line (a decoder would not pass them; a stored head must stay parseable). */
  private static String oneLine(String s, int max) {
    String cut = s.length() > max ? s.substring(0, max) : s;
    StringBuilder sb = null;
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      boolean bad = c == '\r' || c == '\n' || c == '\u0000';
      if (bad && sb == null) {
        sb = new StringBuilder(cut.length()).append(cut, 0, i);
      }
      if (sb != null) {
        sb.append(bad ? ' ' : c);
      }
    }
    return sb == null ? cut : sb.toString();
  }
}
