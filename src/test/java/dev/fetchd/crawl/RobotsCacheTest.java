package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RobotsCacheTest {

  private static final long HOUR = 3_600_000L;
  private static final RobotsRules SOME = RobotsRules.parse("User-agent: *\nDisallow: /x\n"
      .getBytes(StandardCharsets.UTF_8), "text/plain", "http://a.example/robots.txt", "fetchd/0.1");

  /** A fake clock: the cache takes the time from its caller. */
  private long now = 1_000_000L;

  @Test
  void keysAreOrigins() {
    assertThat(RobotsCache.keyOf("HTTP://Example.com/a/b?c")).isEqualTo("http://example.com:80");
    assertThat(RobotsCache.keyOf("http://example.com:80/")).isEqualTo("http://example.com:80");
    assertThat(RobotsCache.keyOf("https://example.com/")).isEqualTo("https://example.com:443");
    assertThat(RobotsCache.keyOf("http://example.com:8080/")).isEqualTo("http://example.com:8080");
    assertThat(RobotsCache.keyOf("http://[::1]:8080/")).isEqualTo("http://[::1]:8080");
    assertThat(RobotsCache.keyOf("mailto:x@example.com")).isNull();
  }

  @Test
  void getReturnsWhatWasPutUntilItExpires() {
    RobotsCache cache = new RobotsCache();
    String key = RobotsCache.keyOf("http://a.example/");
    assertThat(cache.get(key, now)).isNull();

    cache.put(key, SOME, now);
    assertThat(cache.get(key, now)).isSameAs(SOME);
    assertThat(cache.entry(key, now).fetchedAtMs()).isEqualTo(now);
    assertThat(cache.entry(key, now).expiresAtMs()).isEqualTo(now + 24 * HOUR);

    now += 24 * HOUR - 1;
    assertThat(cache.get(key, now)).isSameAs(SOME);
    now += 1;
    assertThat(cache.get(key, now)).isNull();
    assertThat(cache.size()).as("the expired entry is dropped").isZero();
  }

  @Test
  void unreachableRulesExpireSooner() {
    RobotsCache cache = new RobotsCache();
    cache.put("http://down.example:80", RobotsRules.disallowAll(), now);
    cache.put("http://gone.example:80", RobotsRules.forStatus(404), now);
    now += 10 * 60_000L - 1;
    assertThat(cache.get("http://down.example:80", now)).isSameAs(RobotsRules.disallowAll());
    now += 1;
    assertThat(cache.get("http://down.example:80", now)).isNull();
    assertThat(cache.get("http://gone.example:80", now)).as("404 means allow all, kept like a success")
        .isSameAs(RobotsRules.allowAll());
  }

  @Test
  void customTtls() {
    RobotsCache cache = new RobotsCache(10, 1000, 100);
    cache.put("k", SOME, now);
    cache.put("e", RobotsRules.disallowAll(), now);
    cache.put("x", SOME, now, 5);
    now += 5;
    assertThat(cache.get("x", now)).isNull();
    now += 95;
    assertThat(cache.get("e", now)).isNull();
    assertThat(cache.get("k", now)).isSameAs(SOME);
    now += 900;
    assertThat(cache.get("k", now)).isNull();
    cache.put("forever", SOME, now, Long.MAX_VALUE);
    assertThat(cache.get("forever", Long.MAX_VALUE - 1)).isSameAs(SOME);
  }

  @Test
  void evictsTheLeastRecentlyUsedBeyondMaxEntries() {
    RobotsCache cache = new RobotsCache(3, HOUR, HOUR);
    cache.put("a", SOME, now);
    cache.put("b", SOME, now);
    cache.put("c", SOME, now);
    assertThat(cache.get("a", now)).isNotNull(); // a is now the most recently used
    cache.put("d", SOME, now);
    assertThat(cache.size()).isEqualTo(3);
    assertThat(cache.get("b", now)).as("least recently used").isNull();
    assertThat(cache.get("a", now)).isNotNull();
    assertThat(cache.get("c", now)).isNotNull();
    assertThat(cache.get("d", now)).isNotNull();
  }

  @Test
  void putReplacesAndRefreshes() {
    RobotsCache cache = new RobotsCache(2, HOUR, HOUR);
    cache.put("a", RobotsRules.disallowAll(), now);
    cache.put("b", SOME, now);
    now += 10;
    cache.put("a", SOME, now); // a refetched: replaced, newest
    assertThat(cache.entry("a", now).fetchedAtMs()).isEqualTo(now);
    assertThat(cache.get("a", now)).isSameAs(SOME);
    cache.put("c", SOME, now);
    assertThat(cache.get("b", now)).isNull();
    assertThat(cache.get("a", now)).isNotNull();
  }

  @Test
  void removeAndClear() {
    RobotsCache cache = new RobotsCache();
    cache.put("a", SOME, now);
    cache.put("b", SOME, now);
    cache.remove("a");
    assertThat(cache.get("a", now)).isNull();
    assertThat(cache.size()).isEqualTo(1);
    cache.clear();
    assertThat(cache.size()).isZero();
    assertThat(cache.maxEntries()).isEqualTo(RobotsCache.DEFAULT_MAX_ENTRIES);
  }

  @Test
  void refusesNonsense() {
    assertThatThrownBy(() -> new RobotsCache(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RobotsCache(1, -1, 1)).isInstanceOf(IllegalArgumentException.class);
    RobotsCache cache = new RobotsCache();
    assertThatThrownBy(() -> cache.put(null, SOME, now)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> cache.put("k", null, now)).isInstanceOf(IllegalArgumentException.class);
  }
}
