package dev.fetchd.fetch;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpVersion;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The heads of one exchange in HTTP/1.1 wire form (each line ends in CRLF, no blank line at the end), kept with
 * the item for the WARC export. Bounded: a hostile target can send thousands of headers, and every head is stored
 * with its item, so at most {@link #MAX_HEADERS} headers and {@link #MAX_CHARS} characters are kept; what is left
 * out is named by a last {@code X-Fetchd-Truncated} line.
 */
public final class HttpHeads {
  static final int MAX_HEADERS = 64;
  static final int MAX_CHARS = 16 * 1024;
  static final String TRUNCATED = "X-Fetchd-Truncated";

  private HttpHeads() {
  }

  /** The status line and headers as received (HTTP/2 answers written as HTTP/1.1, as WARC readers expect). */
  static String response(HttpClientResponse r) {
    String version = r.version() == HttpVersion.HTTP_1_0 ? "HTTP/1.0" : "HTTP/1.1";
    String reason = r.statusMessage() == null ? "" : r.statusMessage();
    return build(version + " " + r.statusCode() + " " + reason, r.headers(), name -> false);
  }

  /** The request line and headers as sent, the values of {@code secret} headers replaced by "***". */
  static String request(String method, String pathAndQuery, MultiMap headers, Predicate<String> secret) {
    return build(method + " " + pathAndQuery + " HTTP/1.1", headers, secret);
  }

  static boolean alwaysSecret(String headerName) {
    return dev.fetchd.job.RequestOptions.ALWAYS_SECRET.contains(headerName.toLowerCase(java.util.Locale.ROOT));
  }

  private static String build(String firstLine, MultiMap headers, Predicate<String> secret) {
    StringBuilder sb = new StringBuilder(256).append(oneLine(firstLine, MAX_CHARS / 2)).append("\r\n");
    int kept = 0;
    int left = 0;
    for (Map.Entry<String, String> h : headers) {
      String value = secret.test(h.getKey()) ? dev.fetchd.job.RequestOptions.REDACTED : h.getValue();
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
