package dev.fetchd.job;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How a job asks: extra request headers, its own User-Agent, cookies to start with, and which header values are
 * secret. Secret values (Authorization, Cookie, Proxy-Authorization, every cookie value, and each header named in
 * {@code secretHeaders}) must never be shown, logged or stored in clear; {@link #toString()} hides them so that no
 * log line can print them by accident.
 *
 * @param headers       header name (as given) to value, in submission order
 * @param userAgent     the job's User-Agent, or null for the service's
 * @param cookies       cookies to send from the start
 * @param secretHeaders lower-case names of headers whose values are secret besides {@link #ALWAYS_SECRET}
 * @param unreadable    the secret values could not be decrypted when the job was read back (no key, or another
 *                      key): such a job must not run with the placeholders it holds instead
 */
public record RequestOptions(Map<String, String> headers, String userAgent, List<Cookie> cookies,
                             Set<String> secretHeaders, boolean unreadable) {

  /** Header names whose values are secret whatever the client says. */
  public static final Set<String> ALWAYS_SECRET = Set.of("authorization", "cookie", "proxy-authorization");
  /** What is shown in place of a secret value. */
  public static final String REDACTED = "***";

  public static final RequestOptions NONE = new RequestOptions(Map.of(), null, List.of(), Set.of(), false);

  /** A cookie given with the job. {@code domain} null: sent wherever the job's credentials go; {@code path} "/" default. */
  public record Cookie(String name, String value, String domain, String path) {
    @Override
    public String toString() {
      return "Cookie[" + name + "=" + REDACTED + ", domain=" + domain + ", path=" + path + "]";
    }
  }

  public RequestOptions {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    cookies = List.copyOf(cookies);
    Set<String> lower = new LinkedHashSet<>();
    secretHeaders.forEach(h -> lower.add(h.toLowerCase(Locale.ROOT)));
    secretHeaders = Collections.unmodifiableSet(lower);
  }

  public RequestOptions(Map<String, String> headers, String userAgent, List<Cookie> cookies, Set<String> secretHeaders) {
    this(headers, userAgent, cookies, secretHeaders, false);
  }

  /** Whether the value of this header is secret. */
  public boolean isSecret(String headerName) {
    String n = headerName.toLowerCase(Locale.ROOT);
    return ALWAYS_SECRET.contains(n) || secretHeaders.contains(n);
  }

  /** Whether anything here must be kept secret (a secret header value or a cookie). */
  public boolean hasSecrets() {
    return !cookies.isEmpty() || headers.keySet().stream().anyMatch(this::isSecret);
  }

  public boolean isEmpty() {
    return headers.isEmpty() && userAgent == null && cookies.isEmpty() && secretHeaders.isEmpty();
  }

  @Override
  public String toString() {
    Map<String, String> shown = new LinkedHashMap<>();
    headers.forEach((k, v) -> shown.put(k, isSecret(k) ? REDACTED : v));
    return "RequestOptions[headers=" + shown + ", userAgent=" + userAgent + ", cookies=" + cookies
        + ", secretHeaders=" + secretHeaders + "]";
  }
}
