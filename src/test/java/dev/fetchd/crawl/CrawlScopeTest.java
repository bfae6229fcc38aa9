package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fetchd.job.CrawlOptions;
import dev.fetchd.job.CrawlOptions.Scope;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CrawlScopeTest {

  private static CrawlScope scope(Scope s, String seed) {
    return new CrawlScope(s, seed, List.of(), List.of());
  }

  @Test
  void hostScopeIsTheSeedsHostAndPortWhateverTheScheme() {
    CrawlScope scope = scope(Scope.HOST, "http://www.example.com/start");
    assertThat(scope.allows("http://www.example.com/other")).isTrue();
    assertThat(scope.allows("https://www.example.com/other")).isTrue();
    assertThat(scope.allows("HTTP://WWW.EXAMPLE.COM:80/x")).isTrue();
    assertThat(scope.allows("https://www.example.com:443/x")).isTrue();
    assertThat(scope.allows("http://www.example.com:8080/x")).isFalse();
    assertThat(scope.allows("http://img.example.com/x.png")).isFalse();
    assertThat(scope.allows("http://example.com/")).isFalse();
    assertThat(scope.allows("http://www.example.com.evil.org/")).isFalse();
    assertThat(scope.allows("ftp://www.example.com/")).isFalse();
    assertThat(scope.allows("not a url")).isFalse();
  }

  @Test
  void hostScopeWithAnExplicitPortKeepsToThatPort() {
    CrawlScope scope = scope(Scope.HOST, "http://127.0.0.1:43210/");
    assertThat(scope.allows("http://127.0.0.1:43210/a")).isTrue();
    assertThat(scope.allows("https://127.0.0.1:43210/a")).isTrue();
    assertThat(scope.allows("http://127.0.0.1/a")).isFalse();
    assertThat(scope.allows("http://127.0.0.1:43211/a")).isFalse();
    assertThat(scope.allows("http://localhost:43210/a")).isFalse();
  }

  @Test
  void domainScopeIsTheRegistrableDomain() {
    CrawlScope scope = scope(Scope.DOMAIN, "https://www.example.com/");
    assertThat(scope.allows("https://img.example.com/a.png")).isTrue();
    assertThat(scope.allows("http://example.com/")).isTrue();
    assertThat(scope.allows("http://a.b.c.example.com:8080/")).isTrue();
    assertThat(scope.allows("https://example.org/")).isFalse();
    assertThat(scope.allows("https://notexample.com/")).isFalse();
    assertThat(scope.allows("https://example.com.evil.org/")).isFalse();
  }

  @Test
  void domainScopeUnderAMultiLabelPublicSuffix() {
    CrawlScope scope = scope(Scope.DOMAIN, "http://www.example.co.uk/");
    assertThat(scope.allows("http://shop.example.co.uk/")).isTrue();
    assertThat(scope.allows("http://other.co.uk/")).isFalse();
    assertThat(scope.allows("http://co.uk/")).isFalse();

    assertThat(CrawlScope.registrableDomain("www.example.co.uk")).isEqualTo("example.co.uk");
    assertThat(CrawlScope.registrableDomain("a.b.example.com")).isEqualTo("example.com");
    assertThat(CrawlScope.registrableDomain("example.com")).isEqualTo("example.com");
  }

  @Test
  void domainScopeHonoursPrivateSuffixes() {
    CrawlScope scope = scope(Scope.DOMAIN, "https://alice.github.io/blog/");
    assertThat(scope.allows("https://alice.github.io/other")).isTrue();
    assertThat(scope.allows("https://bob.github.io/")).isFalse();
    assertThat(CrawlScope.registrableDomain("alice.github.io")).isEqualTo("alice.github.io");
  }

  @Test
  void domainScopeOfIpLiteralsIsExact() {
    CrawlScope scope = scope(Scope.DOMAIN, "http://127.0.0.1:8080/");
    assertThat(scope.allows("http://127.0.0.1:9090/x")).isTrue();
    assertThat(scope.allows("http://127.0.0.2/")).isFalse();
    assertThat(scope.allows("http://0.0.1/")).isFalse();
    CrawlScope v6 = scope(Scope.DOMAIN, "http://[::1]:8080/");
    assertThat(v6.allows("http://[::1]/x")).isTrue();
    assertThat(v6.allows("http://[::2]/x")).isFalse();
  }

  @Test
  void domainScopeOfUnlistedSuffixesUsesTheLastTwoLabels() {
    CrawlScope scope = scope(Scope.DOMAIN, "http://www.site.test/");
    assertThat(scope.allows("http://img.site.test/")).isTrue();
    assertThat(scope.allows("http://other.test/")).isFalse();
    CrawlScope local = scope(Scope.DOMAIN, "http://localhost:8080/");
    assertThat(local.allows("http://localhost:9090/")).isTrue();
    assertThat(local.allows("http://a.localhost/")).isFalse();
  }

  @Test
  void domainScopeOfInternationalisedHosts() {
    CrawlScope scope = scope(Scope.DOMAIN, "http://www.m\u00fcnchen.de/");
    assertThat(scope.allows("http://bilder.xn--mnchen-3ya.de/")).isTrue();
    assertThat(scope.allows(UrlNormalizer.normalize("http://KARTEN.M\u00dcNCHEN.DE/"))).isTrue();
  }

  @Test
  void anyScopeTakesEveryHttpUrl() {
    CrawlScope scope = scope(Scope.ANY, "http://example.com/");
    assertThat(scope.allows("https://anything.example.org:8443/x")).isTrue();
    assertThat(scope.allows("mailto:x@example.com")).isFalse();
  }

  @Test
  void severalSeedsMakeTheUnionOfTheirScopes() {
    CrawlScope scope = new CrawlScope(Scope.HOST, List.of("http://a.example.com/", "http://b.example.org/"),
        List.of(), List.of());
    assertThat(scope.allows("http://a.example.com/x")).isTrue();
    assertThat(scope.allows("http://b.example.org/y")).isTrue();
    assertThat(scope.allows("http://c.example.com/")).isFalse();
  }

  @Test
  void builtFromCrawlOptions() {
    CrawlOptions options = new CrawlOptions(2, 100, Scope.DOMAIN, List.of("/docs/"), List.of("\\.pdf$"), false, true);
    CrawlScope scope = CrawlScope.of(options, List.of("http://www.example.com/docs/"));
    assertThat(scope.scope()).isEqualTo(Scope.DOMAIN);
    assertThat(scope.allows("http://api.example.com/docs/a")).isTrue();
    assertThat(scope.allows("http://api.example.com/docs/a.pdf")).isFalse();
    assertThat(scope.allows("http://api.example.com/blog/")).isFalse();
  }

  @Test
  void includeNeedsOneMatchAnywhereAndExcludeNone() {
    CrawlScope scope = new CrawlScope(Scope.ANY, "http://example.com/",
        List.of("/docs/", "/blog/\\d+"), List.of("\\?print=1", "(?i)\\.PDF$"));
    assertThat(scope.allows("http://example.com/docs/intro")).isTrue();
    assertThat(scope.allows("http://example.com/blog/2024/post")).isTrue();
    assertThat(scope.allows("http://example.com/blog/about")).isFalse();
    assertThat(scope.allows("http://example.com/shop/")).isFalse();
    assertThat(scope.allows("http://example.com/docs/intro?print=1")).isFalse();
    assertThat(scope.allows("http://example.com/docs/manual.pdf")).isFalse();
  }

  @Test
  void patternsSeeTheNormalizedUrl() {
    CrawlScope scope = new CrawlScope(Scope.ANY, "http://example.com/", List.of("^http://example\\.com/~me/"),
        List.of());
    assertThat(scope.allows("HTTP://EXAMPLE.COM:80/%7eme/page")).isTrue();
  }

  @Test
  void emptyOrNullListsFilterNothing() {
    CrawlScope scope = new CrawlScope(Scope.ANY, "http://example.com/", null, null);
    assertThat(scope.allows("http://example.com/anything")).isTrue();
  }

  @Test
  void validatePatternsNamesTheFirstBadOne() {
    assertThat(CrawlScope.validatePatterns(List.of("ok", "/a/"))).isEmpty();
    assertThat(CrawlScope.validatePatterns(null)).isEmpty();

    var bad = CrawlScope.validatePatterns(List.of("fine", "also fine", "still", "(unclosed", "[bad")).orElseThrow();
    assertThat(bad.index()).isEqualTo(3);
    assertThat(bad.message()).startsWith("is not a valid regular expression: Unclosed group");

    var tooLong = CrawlScope.validatePatterns(List.of("a".repeat(CrawlScope.MAX_PATTERN_LENGTH + 1))).orElseThrow();
    assertThat(tooLong.index()).isEqualTo(0);
    assertThat(tooLong.message()).contains("at most 1000");

    List<String> nulls = new ArrayList<>();
    nulls.add("x");
    nulls.add(null);
    assertThat(CrawlScope.validatePatterns(nulls).orElseThrow().index()).isEqualTo(1);

    List<String> many = new ArrayList<>();
    for (int i = 0; i <= CrawlScope.MAX_PATTERNS; i++) {
      many.add("p" + i);
    }
    assertThat(CrawlScope.validatePatterns(many).orElseThrow().index()).isEqualTo(-1);
  }

  @Test
  void constructorRefusesBadPatterns() {
    assertThatThrownBy(() -> new CrawlScope(Scope.ANY, "http://example.com/", List.of("("), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("include/0");
    assertThatThrownBy(() -> new CrawlScope(Scope.ANY, "http://example.com/", List.of(), List.of("ok", "[")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exclude/1");
  }

  @Test
  void unusableSeedsAddNothing() {
    CrawlScope scope = new CrawlScope(Scope.HOST, List.of("mailto:x@y.z", "http://a..b/", "http://ok.example/"),
        List.of(), List.of());
    assertThat(scope.allows("http://ok.example/x")).isTrue();
    assertThat(scope.allows("http://y.z/")).isFalse();
    CrawlScope none = new CrawlScope(Scope.DOMAIN, "not a url", List.of(), List.of());
    assertThat(none.allows("http://example.com/")).isFalse();
  }

  @Test
  void catastrophicPatternsAreCutShort() {
    // without the budget, this pattern takes over a minute on this URL with Java 17
    String url = "http://example.com/" + "a".repeat(30) + "!";
    String evil = "(.*a){12}$";
    CrawlScope excluding = new CrawlScope(Scope.ANY, "http://example.com/", List.of(), List.of(evil));
    CrawlScope including = new CrawlScope(Scope.ANY, "http://example.com/", List.of(evil), List.of());
    long start = cpuNanos();
    assertThat(excluding.allows(url)).isFalse(); // out of budget counts as excluded
    assertThat(including.allows(url)).isFalse(); // and as not included
    assertThat((cpuNanos() - start) / 1_000_000).isLessThan(1000);
    // an ordinary URL still passes the same patterns quickly
    assertThat(excluding.allows("http://example.com/b")).isTrue();
  }

  @Test
  void ordinaryMatchingIsCheap() {
    CrawlScope scope = new CrawlScope(Scope.DOMAIN, "http://www.example.com/",
        List.of("/docs/", "/blog/"), List.of("\\.(pdf|zip)$", "[?&]session="));
    scope.allows("http://www.example.com/docs/warm-up");
    long start = cpuNanos();
    int allowed = 0;
    for (int i = 0; i < 100_000; i++) {
      if (scope.allows("http://img.example.com/docs/page-" + i + ".html?x=" + i)) {
        allowed++;
      }
    }
    long ms = (cpuNanos() - start) / 1_000_000;
    assertThat(allowed).isEqualTo(100_000);
    assertThat(ms).as("100k allows() calls took %d ms", ms).isLessThan(3000);
  }

  @Test
  void publicSuffixListLoadsQuickly() {
    long start = cpuNanos();
    CrawlScope.warmUp();
    assertThat((cpuNanos() - start) / 1_000_000).isLessThan(3000);
  }

  /** CPU time of this thread: timing assertions that other processes on a busy machine do not break. */
  private static long cpuNanos() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }
}
