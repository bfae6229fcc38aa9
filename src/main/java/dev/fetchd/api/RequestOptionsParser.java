package dev.fetchd.api;

import dev.fetchd.job.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Checks the {@code request} of a submission: header names are tokens (RFC 9110), never a header the fetcher owns
 * (Host, framing, hop-by-hop), values have no control characters (no CR, LF or NUL: no header injection), cookies
 * follow the syntax of RFC 6265, and the whole is bounded. Messages never quote a value: it may be a secret.
 */
final class RequestOptionsParser {
  static final int MAX_HEADERS = 64;
  static final int MAX_COOKIES = 64;
  /** Names and values of headers, the User-Agent and cookies together. */
  static final int MAX_TOTAL_BYTES = 8 * 1024;
  static final int MAX_NAME = 256;
  static final int MAX_USER_AGENT = 512;

  /** Headers the fetcher sets itself or that describe the connection, not the request: lower-case name to reason. */
  private static final Map<String, String> REFUSED = Map.ofEntries(
      Map.entry("host", "is set by fetchd from each URL"),
      Map.entry("content-length", "describes a request body; fetchd sends none"),
      Map.entry("transfer-encoding", "describes a request body; fetchd sends none"),
      Map.entry("connection", "is a hop-by-hop header fetchd manages"),
      Map.entry("keep-alive", "is a hop-by-hop header fetchd manages"),
      Map.entry("upgrade", "is a hop-by-hop header fetchd manages"),
      Map.entry("te", "is a hop-by-hop header fetchd manages"),
      Map.entry("trailer", "is a hop-by-hop header fetchd manages"),
      Map.entry("proxy-connection", "is a hop-by-hop header fetchd manages"),
      Map.entry("proxy-authenticate", "is a hop-by-hop header fetchd manages"),
      Map.entry("http2-settings", "is a hop-by-hop header fetchd manages"),
      Map.entry("expect", "is not supported: fetchd sends no request body"),
      Map.entry("accept-encoding", "is set by fetchd (identity): bodies are stored as the server sends them"),
      Map.entry("user-agent", "goes in /request/userAgent"));

  private RequestOptionsParser() {
  }

  static RequestOptions parse(Object raw, Problem.Collector errors) {
    if (raw == null) {
      return RequestOptions.NONE;
    }
    if (!(raw instanceof JsonObject r)) {
      errors.add("/request", "must be an object");
      return RequestOptions.NONE;
    }
    Set<String> known = Set.of("headers", "userAgent", "cookies", "secretHeaders");
    for (String k : r.fieldNames()) {
      if (!known.contains(k)) {
        errors.add("/request/" + pointer(k), "unknown request option");
      }
    }
    int[] total = {0};
    Map<String, String> headers = headers(r.getValue("headers"), errors, total);
    String userAgent = null;
    Object ua = r.getValue("userAgent");
    if (ua != null) {
      if (!(ua instanceof String s) || s.isBlank() || s.length() > MAX_USER_AGENT) {
        errors.add("/request/userAgent", "must be a string of 1 to " + MAX_USER_AGENT + " characters");
      } else if (valueProblem(s) != null) {
        errors.add("/request/userAgent", valueProblem(s));
      } else {
        userAgent = s;
        total[0] += s.length();
      }
    }
    List<RequestOptions.Cookie> cookies = cookies(r.getValue("cookies"), errors, total);
    Set<String> secret = secretHeaders(r.getValue("secretHeaders"), errors);
    if (total[0] > MAX_TOTAL_BYTES) {
      errors.add("/request", "header names and values, userAgent and cookies add up to " + total[0]
          + " characters; at most " + MAX_TOTAL_BYTES + " are accepted");
    }
    return new RequestOptions(headers, userAgent, cookies, secret);
  }

  private static Map<String, String> headers(Object raw, Problem.Collector errors, int[] total) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null) {
      return out;
    }
    if (!(raw instanceof JsonObject h)) {
      errors.add("/request/headers", "must be an object of header names to values");
      return out;
    }
    if (h.size() > MAX_HEADERS) {
      errors.add("/request/headers", "holds " + h.size() + " headers; at most " + MAX_HEADERS + " are accepted");
      return out;
    }
    Set<String> seen = new HashSet<>();
    for (String name : h.fieldNames()) {
      String field = "/request/headers/" + pointer(name);
      String lower = name.toLowerCase(Locale.ROOT);
      Object v = h.getValue(name);
      if (!isToken(name) || name.length() > MAX_NAME) {
        errors.add(field, "is not a valid header name (1 to " + MAX_NAME + " token characters, RFC 9110)");
      } else if (REFUSED.containsKey(lower)) {
        errors.add(field, "cannot be set: " + name + " " + REFUSED.get(lower));
      } else if (!seen.add(lower)) {
        errors.add(field, "is given twice (header names are case-insensitive)");
      } else if (!(v instanceof String s)) {
        errors.add(field, "must be a string");
      } else if (valueProblem(s) != null) {
        errors.add(field, valueProblem(s));
      } else {
        out.put(name, s);
        total[0] += name.length() + s.length();
      }
    }
    return out;
  }

  private static List<RequestOptions.Cookie> cookies(Object raw, Problem.Collector errors, int[] total) {
    List<RequestOptions.Cookie> out = new ArrayList<>();
    if (raw == null) {
      return out;
    }
    if (!(raw instanceof JsonArray arr)) {
      errors.add("/request/cookies", "must be an array of {name, value, domain, path}");
      return out;
    }
    if (arr.size() > MAX_COOKIES) {
      errors.add("/request/cookies", "holds " + arr.size() + " cookies; at most " + MAX_COOKIES + " are accepted");
      return out;
    }
    Set<String> known = Set.of("name", "value", "domain", "path");
    for (int i = 0; i < arr.size(); i++) {
      String at = "/request/cookies/" + i;
      if (!(arr.getValue(i) instanceof JsonObject c)) {
        errors.add(at, "must be an object {name, value, domain, path}");
        continue;
      }
      int before = countOf(errors);
      for (String k : c.fieldNames()) {
        if (!known.contains(k)) {
          errors.add(at + "/" + pointer(k), "unknown cookie field");
        }
      }
      String name = c.getValue("name") instanceof String s ? s : null;
      String value = c.getValue("value") instanceof String s ? s : null;
      if (name == null || !isToken(name) || name.length() > MAX_NAME) {
        errors.add(at + "/name", "is required: a cookie name (1 to " + MAX_NAME + " token characters, RFC 6265)");
      }
      if (value == null || !isCookieValue(value)) {
        errors.add(at + "/value", "is required: a cookie value (RFC 6265: no spaces, quotes only around the whole, "
            + "no comma, semicolon or backslash)");
      }
      String domain = null;
      Object d = c.getValue("domain");
      if (d != null) {
        domain = d instanceof String s ? normalizeDomain(s) : null;
        if (domain == null) {
          errors.add(at + "/domain", "must be a host name such as example.com");
        }
      }
      String path = "/";
      Object p = c.getValue("path");
      if (p != null) {
        if (!(p instanceof String s) || !s.startsWith("/") || s.length() > 1024 || valueProblem(s) != null
            || s.indexOf(';') >= 0) {
          errors.add(at + "/path", "must be a path starting with /");
        } else {
          path = s;
        }
      }
      if (countOf(errors) == before && name != null && value != null) {
        out.add(new RequestOptions.Cookie(name, value, domain, path));
        total[0] += name.length() + value.length();
      }
    }
    return out;
  }

  private static Set<String> secretHeaders(Object raw, Problem.Collector errors) {
    Set<String> out = new LinkedHashSet<>();
    if (raw == null) {
      return out;
    }
    if (!(raw instanceof JsonArray arr)) {
      errors.add("/request/secretHeaders", "must be an array of header names");
      return out;
    }
    if (arr.size() > MAX_HEADERS) {
      errors.add("/request/secretHeaders", "holds " + arr.size() + " names; at most " + MAX_HEADERS + " are accepted");
      return out;
    }
    for (int i = 0; i < arr.size(); i++) {
      if (!(arr.getValue(i) instanceof String s) || !isToken(s) || s.length() > MAX_NAME) {
        errors.add("/request/secretHeaders/" + i, "must be a header name (token characters, RFC 9110)");
      } else {
        out.add(s);
      }
    }
    return out;
  }

  /** Why a header value cannot be sent, or null: visible ASCII, spaces and tabs only (no CR, LF, NUL). */
  static String valueProblem(String s) {
    if (s.length() > MAX_TOTAL_BYTES) {
      return "is longer than " + MAX_TOTAL_BYTES + " characters";
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\r' || c == '\n' || c == 0) {
        return "must not contain CR, LF or NUL";
      }
      if ((c < 0x20 && c != '\t') || c >= 0x7f) {
        return "must be printable ASCII (control characters and non-ASCII characters cannot be sent as a header)";
      }
    }
    return null;
  }

  /** RFC 9110 token: 1*tchar. */
  static boolean isToken(String s) {
    if (s == null || s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** RFC 6265 cookie-value: *cookie-octet, or the same in double quotes. */
  static boolean isCookieValue(String v) {
    String s = v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"") ? v.substring(1, v.length() - 1) : v;
    if (s.length() > 4096) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = c == 0x21 || (c >= 0x23 && c <= 0x2B) || (c >= 0x2D && c <= 0x3A) || (c >= 0x3C && c <= 0x5B)
          || (c >= 0x5D && c <= 0x7E);
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** A cookie domain lower-cased without its leading dot, or null when it is not a host name or IP address. */
  static String normalizeDomain(String d) {
    String s = d.startsWith(".") ? d.substring(1) : d;
    s = s.toLowerCase(Locale.ROOT);
    if (s.isEmpty() || s.length() > 253 || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) {
        return null;
      }
    }
    return s;
  }

  private static int countOf(Problem.Collector errors) {
    return errors.size();
  }

  /** A name as a JSON pointer segment (RFC 6901). */
  static String pointer(String name) {
    return name.replace("~", "~0").replace("/", "~1");
  }
}
