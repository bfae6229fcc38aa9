package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RobotsRulesTest {

  private static final String UA = "fetchd/0.1 (+https://github.com/fetchd/fetchd)";
  private static final String ROBOTS = "http://example.com/robots.txt";

  private static RobotsRules robots(String text) {
    return RobotsRules.parse(text.getBytes(StandardCharsets.UTF_8), "text/plain", ROBOTS, UA);
  }

  private static String u(String path) {
    return "http://example.com" + path;
  }

  @Test
  void productTokenOfTheUserAgent() {
    assertThat(RobotsRules.productToken(UA)).isEqualTo("fetchd");
    assertThat(RobotsRules.productToken("FetchD")).isEqualTo("fetchd");
    assertThat(RobotsRules.productToken("my_bot-2/1.0")).isEqualTo("my_bot-");
    assertThat(RobotsRules.productToken("/1.0")).isNull();
    assertThat(RobotsRules.productToken(null)).isNull();
  }

  @Test
  void allowAndDisallowByPrefix() {
    RobotsRules r = robots("""
        User-agent: *
        Disallow: /private/
        Disallow: /tmp
        """);
    assertThat(r.kind()).isEqualTo(RobotsRules.Kind.PARSED);
    assertThat(r.allowed(u("/"))).isTrue();
    assertThat(r.allowed(u("/public/page"))).isTrue();
    assertThat(r.allowed(u("/private/"))).isFalse();
    assertThat(r.allowed(u("/private/x.html"))).isFalse();
    assertThat(r.allowed(u("/private"))).isTrue();
    assertThat(r.allowed(u("/tmp"))).isFalse();
    assertThat(r.allowed(u("/tmpfile"))).isFalse();
    assertThat(r.allowed(u("/Private/x"))).as("paths are case-sensitive").isTrue();
    assertThat(r.allowed(u("/robots.txt"))).isTrue();
  }

  @Test
  void wildcardsAndEndAnchor() {
    RobotsRules r = robots("""
        User-agent: *
        Disallow: /*.pdf$
        Disallow: /*?session=
        Disallow: /shop/*/cart
        """);
    assertThat(r.allowed(u("/docs/manual.pdf"))).isFalse();
    assertThat(r.allowed(u("/docs/manual.pdf?download=1"))).isTrue();
    assertThat(r.allowed(u("/docs/manual.pdfx"))).isTrue();
    assertThat(r.allowed(u("/page?session=abc"))).isFalse();
    assertThat(r.allowed(u("/page?lang=en"))).isTrue();
    assertThat(r.allowed(u("/shop/books/cart"))).isFalse();
    assertThat(r.allowed(u("/shop/books/cartography"))).isFalse();
    assertThat(r.allowed(u("/shop/cart"))).isTrue();
  }

  @Test
  void longestMatchWinsAndAllowWinsATie() {
    RobotsRules r = robots("""
        User-agent: *
        Disallow: /folder/
        Allow: /folder/public
        Allow: /page
        Disallow: /page.html
        Allow: /same
        Disallow: /same
        Disallow: /
        Allow: /$
        """);
    assertThat(r.allowed(u("/folder/public/a.html"))).isTrue();
    assertThat(r.allowed(u("/folder/private.html"))).isFalse();
    assertThat(r.allowed(u("/page"))).isTrue();
    assertThat(r.allowed(u("/page.html"))).isFalse();
    assertThat(r.allowed(u("/same"))).isTrue();
    assertThat(r.allowed(u("/"))).isTrue();
    assertThat(r.allowed(u("/other"))).isFalse();
  }

  @Test
  void percentEncodingIsComparedNormalized() {
    RobotsRules r = robots("""
        User-agent: *
        Disallow: /%7Ejoe/
        Disallow: /caf\u00e9/
        """);
    assertThat(r.allowed(u("/~joe/index.html"))).isFalse();
    assertThat(r.allowed(u("/%7Ejoe/index.html"))).isFalse();
    assertThat(r.allowed(UrlNormalizer.normalize(u("/caf\u00e9/menu")))).isFalse();
  }

  @Test
  void selectsTheGroupOfOurProductToken() {
    RobotsRules r = robots("""
        User-agent: *
        Disallow: /

        User-agent: otherbot
        Disallow: /other

        User-agent: FetchD
        Disallow: /not-for-fetchd
        Crawl-delay: 2
        """);
    assertThat(r.allowed(u("/anything"))).isTrue();
    assertThat(r.allowed(u("/not-for-fetchd/x"))).isFalse();
    assertThat(r.allowed(u("/other"))).isTrue();
    assertThat(r.crawlDelayMs()).isEqualTo(2000);
  }

  @Test
  void fallsBackToTheStarGroup() {
    RobotsRules r = robots("""
        User-agent: fetchdbot
        Disallow: /

        User-agent: *
        Disallow: /star-only
        """);
    assertThat(r.allowed(u("/star-only"))).isFalse();
    assertThat(r.allowed(u("/page"))).as("fetchdbot is another agent").isTrue();
  }

  @Test
  void matchesAnAgentLineWithAVersionAndMergesGroups() {
    RobotsRules r = robots("""
        User-agent: fetchd/2.0
        Disallow: /a

        User-agent: *
        Disallow: /star

        User-agent: fetchd
        Disallow: /b
        """);
    assertThat(r.allowed(u("/a"))).isFalse();
    assertThat(r.allowed(u("/b"))).isFalse();
    assertThat(r.allowed(u("/star"))).isTrue();
  }

  @Test
  void groupsWithSeveralAgents() {
    RobotsRules r = robots("""
        User-agent: somebot
        User-agent: fetchd
        Disallow: /shared
        """);
    assertThat(r.allowed(u("/shared/x"))).isFalse();
  }

  @Test
  void noMatchingGroupAllowsAll() {
    RobotsRules r = robots("""
        User-agent: googlebot
        Disallow: /
        """);
    assertThat(r.allowed(u("/x"))).isTrue();
    assertThat(r.crawlDelayMs()).isEqualTo(-1);
  }

  @Test
  void crawlDelay() {
    assertThat(robots("User-agent: *\nCrawl-delay: 0.5\n").crawlDelayMs()).isEqualTo(500);
    assertThat(robots("User-agent: *\nCrawl-delay: 10\n").crawlDelayMs()).isEqualTo(10_000);
    assertThat(robots("User-agent: *\nCrawl-delay: soon\n").crawlDelayMs()).isEqualTo(-1);
    assertThat(robots("User-agent: *\nDisallow: /x\n").crawlDelayMs()).isEqualTo(-1);
    // a huge delay is reported as written (the caller caps it), and does not turn into "disallow all"
    RobotsRules slow = robots("User-agent: *\nCrawl-delay: 3600\nDisallow: /x\n");
    assertThat(slow.crawlDelayMs()).isEqualTo(3_600_000);
    assertThat(slow.allowed(u("/y"))).isTrue();
  }

  @Test
  void emptyOrMissingBodyAllowsAll() {
    assertThat(robots("").allowed(u("/x"))).isTrue();
    assertThat(RobotsRules.parse(null, null, ROBOTS, UA).allowed(u("/x"))).isTrue();
    assertThat(robots("# only a comment\n").allowed(u("/x"))).isTrue();
  }

  @Test
  void anHtmlPageServedAsRobotsTxtAllowsAll() {
    RobotsRules r = RobotsRules.parse("<html><body>Not found<br>Disallow: /</body></html>"
        .getBytes(StandardCharsets.UTF_8), "text/html", ROBOTS, UA);
    assertThat(r.allowed(u("/x"))).isTrue();
  }

  @Test
  void toleratesBomCrlfCommentsAndCase() {
    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    byte[] text = "USER-AGENT: *\r\ndisallow: /secret # comment\r\n\r\n".getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[bom.length + text.length];
    System.arraycopy(bom, 0, body, 0, bom.length);
    System.arraycopy(text, 0, body, bom.length, text.length);
    RobotsRules r = RobotsRules.parse(body, "text/plain", ROBOTS, UA);
    assertThat(r.allowed(u("/secret/x"))).isFalse();
    assertThat(r.allowed(u("/public"))).isTrue();
  }

  @Test
  void sitemapsAreListed() {
    RobotsRules r = robots("Sitemap: http://example.com/sitemap.xml\nUser-agent: *\nDisallow:\n");
    assertThat(r.sitemaps()).containsExactly("http://example.com/sitemap.xml");
  }

  @Test
  void unavailableAndUnreachable() {
    assertThat(RobotsRules.allowAll().allowed(u("/x"))).isTrue();
    assertThat(RobotsRules.allowAll().unreachable()).isFalse();
    assertThat(RobotsRules.disallowAll().allowed(u("/x"))).isFalse();
    assertThat(RobotsRules.disallowAll().allowed(u("/"))).isFalse();
    assertThat(RobotsRules.disallowAll().unreachable()).isTrue();
    assertThat(RobotsRules.disallowAll().crawlDelayMs()).isEqualTo(-1);
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 401, 403, 404, 410, 451, 301, 302, 310})
  void statusesMeaningNoRobotsTxtAllowAll(int status) {
    RobotsRules r = RobotsRules.forStatus(status);
    assertThat(r.kind()).isEqualTo(RobotsRules.Kind.ALLOW_ALL);
    assertThat(r.allowed(u("/any"))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {500, 502, 503, 504, 599, 429, 100})
  void statusesMeaningUnreachableDisallowAll(int status) {
    RobotsRules r = RobotsRules.forStatus(status);
    assertThat(r.kind()).isEqualTo(RobotsRules.Kind.DISALLOW_ALL);
    assertThat(r.unreachable()).isTrue();
    assertThat(r.allowed(u("/any"))).isFalse();
  }

  @Test
  void a2xxStatusMustBeParsed() {
    assertThatThrownBy(() -> RobotsRules.forStatus(200)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parsesAtLeast500KibOfAHugeFile() {
    StringBuilder sb = new StringBuilder("User-agent: *\n");
    int i = 0;
    while (sb.length() < 490 * 1024) {
      sb.append("Disallow: /filler/").append(i++).append("/\n");
    }
    sb.append("Disallow: /near-the-limit\n");
    while (sb.length() < 700 * 1024) {
      sb.append("Disallow: /beyond/").append(i++).append("/\n");
    }
    sb.append("Disallow: /far-beyond\n");
    byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);

    long start = cpuNanos();
    RobotsRules r = RobotsRules.parse(body, "text/plain", ROBOTS, UA);
    long parseMs = (cpuNanos() - start) / 1_000_000;

    assertThat(r.allowed(u("/filler/7/x"))).isFalse();
    assertThat(r.allowed(u("/near-the-limit"))).isFalse();
    assertThat(r.allowed(u("/far-beyond"))).as("past the 512 KiB parse limit").isTrue();
    assertThat(r.allowed(u("/free"))).isTrue();
    assertThat(parseMs).as("parse took %d ms", parseMs).isLessThan(2000);

    start = cpuNanos();
    for (int k = 0; k < 100; k++) {
      r.allowed(u("/free/" + k));
    }
    long checkMs = (cpuNanos() - start) / 1_000_000;
    assertThat(checkMs).as("100 checks against ~25k rules took %d ms", checkMs).isLessThan(2000);
  }

  /** CPU time of this thread: timing assertions that other processes on a busy machine do not break. */
  private static long cpuNanos() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }
}
