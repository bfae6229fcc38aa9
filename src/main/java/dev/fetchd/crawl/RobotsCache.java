package dev.fetchd.crawl;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * robots.txt rules by origin, with a time to live and a bound on entries (least recently used out first).
 *
 * <p>Confined to one thread, the engine's event loop: no locks, not thread-safe. Every operation is O(1) and takes the
 * current time from the caller ({@code nowMs}, any monotonic clock in ms: tests pass a fake one).
 *
 * <p>Recommended TTLs (the defaults): {@link #DEFAULT_SUCCESS_TTL_MS} 24 h for fetched rules and for "unavailable"
 * (4xx: allow all), since RFC 9309 section 2.4 says a cached robots.txt should not be used for more than 24 hours;
 * {@link #DEFAULT_ERROR_TTL_MS} 10 min for "unreachable" (5xx, 429, network error: disallow all), so a site that
 * was down briefly is crawled again soon. {@link #put(String, RobotsRules, long)} picks the TTL from
 * {@link RobotsRules#unreachable()}.
 *
 * <p>Keys are origins, {@code scheme://host:port} with the effective port ({@link #keyOf}); the rules of one origin
 * never apply to another (http and https of a host are two robots.txt files, per the RFC).
 *
 * <p>This class does not deduplicate concurrent fetches of one robots.txt: the engine should keep its own map of
 * in-flight fetches by key, so that the first URL of a host fetches robots.txt and the others wait for it.
 */
public final class RobotsCache {

  public static final long DEFAULT_SUCCESS_TTL_MS = 24 * 60 * 60 * 1000L;
  public static final long DEFAULT_ERROR_TTL_MS = 10 * 60 * 1000L;
  public static final int DEFAULT_MAX_ENTRIES = 10_000;

  /** A cached entry: the rules, when they were fetched and until when they may be used. */
  public record Entry(RobotsRules rules, long fetchedAtMs, long expiresAtMs) {
  }

  private final int maxEntries;
  private final long successTtlMs;
  private final long errorTtlMs;
  private final LinkedHashMap<String, Entry> entries;

  /** 10,000 entries, 24 h for rules, 10 min for an unreachable robots.txt. */
  public RobotsCache() {
    this(DEFAULT_MAX_ENTRIES, DEFAULT_SUCCESS_TTL_MS, DEFAULT_ERROR_TTL_MS);
  }

  public RobotsCache(int maxEntries, long successTtlMs, long errorTtlMs) {
    if (maxEntries < 1 || successTtlMs < 0 || errorTtlMs < 0) {
      throw new IllegalArgumentException("maxEntries must be >= 1 and TTLs >= 0");
    }
    this.maxEntries = maxEntries;
    this.successTtlMs = successTtlMs;
    this.errorTtlMs = errorTtlMs;
    this.entries = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > RobotsCache.this.maxEntries;
      }
    };
  }

  /**
   * The cache key of a URL: its origin, {@code https://example.com:443}; null if it is not a usable http(s) URL.
   * Cheap.
   */
  public static String keyOf(String url) {
    NormalizedUrl u = UrlNormalizer.parse(url);
    return u == null ? null : u.origin();
  }

  /**
   * The cache key of a URL for a product token (RFC 9309: the rules depend on it): {@code token origin}, e.g.
   * {@code mybot https://example.com:443}; the plain origin when the token is null. Null for an unusable URL.
   */
  public static String keyOf(String url, String productToken) {
    String origin = keyOf(url);
    return origin == null || productToken == null ? origin : productToken + " " + origin;
  }

  /** The rules for {@code key}, or null when absent or expired (an expired entry is removed). */
  public RobotsRules get(String key, long nowMs) {
    Entry e = entry(key, nowMs);
    return e == null ? null : e.rules();
  }

  /** The entry for {@code key}, or null when absent or expired (an expired entry is removed). */
  public Entry entry(String key, long nowMs) {
    Entry e = entries.get(key);
    if (e == null) {
      return null;
    }
    if (nowMs >= e.expiresAtMs()) {
      entries.remove(key);
      return null;
    }
    return e;
  }

  /**
   * Stores rules fetched at {@code nowMs}: for the error TTL if they stand for an unreachable robots.txt, else for the
   * success TTL. Replaces any entry for the key.
   */
  public void put(String key, RobotsRules rules, long nowMs) {
    put(key, rules, nowMs, rules != null && rules.unreachable() ? errorTtlMs : successTtlMs);
  }

  /** Stores rules with an explicit TTL; replaces any entry for the key. */
  public void put(String key, RobotsRules rules, long nowMs, long ttlMs) {
    if (key == null || rules == null) {
      throw new IllegalArgumentException("key and rules are required");
    }
    long expires = ttlMs >= Long.MAX_VALUE - nowMs ? Long.MAX_VALUE : nowMs + ttlMs;
    entries.remove(key); // a replaced entry counts as most recent
    entries.put(key, new Entry(rules, nowMs, expires));
  }

  public void remove(String key) {
    entries.remove(key);
  }

  public void clear() {
    entries.clear();
  }

  /** Entries held, expired ones not yet evicted included. */
  public int size() {
    return entries.size();
  }

  public int maxEntries() {
    return maxEntries;
  }
}
