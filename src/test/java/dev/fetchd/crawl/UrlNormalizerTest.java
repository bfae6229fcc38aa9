package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class UrlNormalizerTest {

  static Stream<Arguments> table() {
    return Stream.of(
        // scheme and host case
        Arguments.of("HTTP://Example.COM/a", "http://example.com/a"),
        Arguments.of("HtTpS://WWW.Example.Com:443", "https://www.example.com/"),
        // empty path
        Arguments.of("http://example.com", "http://example.com/"),
        Arguments.of("http://example.com?x=1", "http://example.com/?x=1"),
        // ports
        Arguments.of("http://example.com:80/a", "http://example.com/a"),
        Arguments.of("https://example.com:443/a", "https://example.com/a"),
        Arguments.of("http://example.com:443/a", "http://example.com:443/a"),
        Arguments.of("https://example.com:80/", "https://example.com:80/"),
        Arguments.of("http://example.com:8080", "http://example.com:8080/"),
        Arguments.of("http://example.com:08080/", "http://example.com:8080/"),
        Arguments.of("http://example.com:/a", "http://example.com/a"),
        // fragment
        Arguments.of("http://example.com/a#frag", "http://example.com/a"),
        Arguments.of("http://example.com/a?x=1#frag", "http://example.com/a?x=1"),
        Arguments.of("http://example.com/#", "http://example.com/"),
        Arguments.of("http://example.com/a?x#y?z", "http://example.com/a?x"),
        // dot segments
        Arguments.of("http://example.com/a/./b/../c", "http://example.com/a/c"),
        Arguments.of("http://example.com/../a", "http://example.com/a"),
        Arguments.of("http://example.com/a/b/..", "http://example.com/a/"),
        Arguments.of("http://example.com/a/b/.", "http://example.com/a/b/"),
        Arguments.of("http://example.com/a/../../..", "http://example.com/"),
        Arguments.of("http://example.com/a/%2E%2E/b", "http://example.com/b"),
        Arguments.of("http://example.com/a/.%2e/b", "http://example.com/b"),
        Arguments.of("http://example.com/.well-known/x", "http://example.com/.well-known/x"),
        Arguments.of("http://example.com/a/.b/..c", "http://example.com/a/.b/..c"),
        Arguments.of("http://example.com/a//b", "http://example.com/a//b"),
        // percent-encoding
        Arguments.of("http://example.com/%7euser", "http://example.com/~user"),
        Arguments.of("http://example.com/%41%42c%2D%5f%2e", "http://example.com/ABc-_."),
        Arguments.of("http://example.com/a%2fb", "http://example.com/a%2Fb"),
        Arguments.of("http://example.com/%c3%a9", "http://example.com/%C3%A9"),
        Arguments.of("http://example.com/a b", "http://example.com/a%20b"),
        Arguments.of("http://example.com/caf\u00e9", "http://example.com/caf%C3%A9"),
        Arguments.of("http://example.com/\ud83d\ude00", "http://example.com/%F0%9F%98%80"),
        Arguments.of("http://example.com/100%", "http://example.com/100%25"),
        Arguments.of("http://example.com/%zz", "http://example.com/%25zz"),
        Arguments.of("http://example.com/a|b{c}^`\"<>[]", "http://example.com/a%7Cb%7Bc%7D%5E%60%22%3C%3E%5B%5D"),
        Arguments.of("http://example.com/a;b=c,d!$&'()*+:@", "http://example.com/a;b=c,d!$&'()*+:@"),
        // query: kept in order, percent-normalised
        Arguments.of("http://example.com/?b=2&a=1", "http://example.com/?b=2&a=1"),
        Arguments.of("http://example.com/?q=a+b&r=%2b", "http://example.com/?q=a+b&r=%2B"),
        Arguments.of("http://example.com/?q=a b", "http://example.com/?q=a%20b"),
        Arguments.of("http://example.com/?q=%7e%41", "http://example.com/?q=~A"),
        Arguments.of("http://example.com/?x=/y?z", "http://example.com/?x=/y?z"),
        Arguments.of("http://example.com/?a=1&a=1&=&", "http://example.com/?a=1&a=1&=&"),
        Arguments.of("http://example.com/p?", "http://example.com/p?"),
        Arguments.of("http://example.com/p?q=\u00fc", "http://example.com/p?q=%C3%BC"),
        // hosts
        Arguments.of("http://m\u00fcnchen.de/", "http://xn--mnchen-3ya.de/"),
        Arguments.of("http://M\u00dcNCHEN.DE/", "http://xn--mnchen-3ya.de/"),
        Arguments.of("http://EXAMPLE.com./", "http://example.com/"),
        Arguments.of("http://ex%41mple.com/", "http://example.com/"),
        Arguments.of("http://under_score.example.com/", "http://under_score.example.com/"),
        Arguments.of("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
        Arguments.of("http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/"),
        Arguments.of("http://[::1]", "http://[::1]/"),
        Arguments.of("https://[::1]:443/a", "https://[::1]/a"),
        Arguments.of("http://user:pa ss@example.com/", "http://user:pa%20ss@example.com/"),
        // browser leniencies (WHATWG URL)
        Arguments.of("  http://example.com/a \n", "http://example.com/a"),
        Arguments.of("http://exa\tmple.com/a\nb\r", "http://example.com/ab"),
        Arguments.of("http:\\\\example.com\\a\\b?c\\d", "http://example.com/a/b?c%5Cd"),
        Arguments.of("http:example.com/a", "http://example.com/a"),
        Arguments.of("http:///example.com/a", "http://example.com/a"));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("table")
  void normalizes(String input, String expected) {
    assertThat(UrlNormalizer.normalize(input)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void outputIsAFixedPointAndAValidUri(String input, String expected) {
    String once = UrlNormalizer.normalize(input);
    assertThat(UrlNormalizer.normalize(once)).isEqualTo(once);
    URI uri = URI.create(once);
    assertThat(uri.getScheme()).isIn("http", "https");
    assertThat(uri.getFragment()).isNull();
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {
      "ftp://example.com/", "mailto:someone@example.com", "javascript:alert(1)", "data:text/html,hi",
      "file:///etc/passwd", "/relative/path", "relative", "example.com/a", "//example.com/a", "http://", "http:",
      "http://exa mple.com/", "http://exa<mple.com/", "http://example.com:99999/", "http://example.com:-1/",
      "http://example.com:8o/", "http://[::1/", "http://[::1]x/", "http://[fe80::1%25eth0]/", "http://a..b/",
      "http://.example.com/", "http://%zz.com/", "http://@/", "http://user@:80/"})
  void refusesWhatIsNotAUsableHttpUrl(String input) {
    assertThat(UrlNormalizer.normalize(input)).isNull();
  }

  @Test
  void refusesOverlongUrlsAndLabels() {
    assertThat(UrlNormalizer.normalize("http://example.com/" + "a".repeat(UrlNormalizer.MAX_LENGTH))).isNull();
    assertThat(UrlNormalizer.normalize("http://" + "a".repeat(64) + ".com/")).isNull();
    assertThat(UrlNormalizer.normalize("http://" + "a".repeat(63) + ".com/")).isNotNull();
  }

  @Test
  void spellingsOfOnePageConverge() {
    String[] spellings = {
        "http://example.com/docs/index.html",
        "HTTP://EXAMPLE.COM:80/docs/index.html",
        "http://example.com/docs/./index.html",
        "http://example.com/docs/sub/../index.html",
        "http://example.com/%64ocs/index.html",
        "http://example.com/docs/index.html#section-2",
        "http://example.com./docs/index.html",
        " http://example.com/docs/index.html\n"};
    for (String s : spellings) {
      assertThat(UrlNormalizer.normalize(s)).as(s).isEqualTo("http://example.com/docs/index.html");
    }
  }

  static Stream<Arguments> references() {
    return Stream.of(
        Arguments.of("other.html", "http://example.com/dir/other.html"),
        Arguments.of("../up.html", "http://example.com/up.html"),
        Arguments.of("../../../up.html", "http://example.com/up.html"),
        Arguments.of("/abs", "http://example.com/abs"),
        Arguments.of("//cdn.example.org/x.png", "http://cdn.example.org/x.png"),
        Arguments.of("?p=2", "http://example.com/dir/page.html?p=2"),
        Arguments.of("#top", "http://example.com/dir/page.html?q=1"),
        Arguments.of("", "http://example.com/dir/page.html?q=1"),
        Arguments.of(".", "http://example.com/dir/"),
        Arguments.of("./", "http://example.com/dir/"),
        Arguments.of("..", "http://example.com/"),
        Arguments.of("./a:b", "http://example.com/dir/a:b"),
        Arguments.of("https://Other.com:443/x#y", "https://other.com/x"),
        Arguments.of("http:rel.html", "http://example.com/dir/rel.html"),
        Arguments.of("  sub/ x.html\n", "http://example.com/dir/sub/%20x.html"),
        Arguments.of("sub/x.html?a=1&b=%7e#f", "http://example.com/dir/sub/x.html?a=1&b=~"),
        Arguments.of("\\\\host2\\p", "http://host2/p"),
        Arguments.of("mailto:x@example.com", null),
        Arguments.of("javascript:void(0)", null),
        Arguments.of("tel:+123", null),
        Arguments.of("data:image/png;base64,AAAA", null),
        Arguments.of("a:b", null));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("references")
  void resolvesReferencesAgainstABase(String ref, String expected) {
    assertThat(UrlNormalizer.resolve("http://example.com/dir/page.html?q=1#frag", ref)).isEqualTo(expected);
  }

  @Test
  void resolveKeepsNonDefaultPortAndUserInfoOfTheBase() {
    assertThat(UrlNormalizer.resolve("http://u@example.com:8080/a/b", "c")).isEqualTo("http://u@example.com:8080/a/c");
    assertThat(UrlNormalizer.resolve("not a url", "c")).isNull();
    assertThat(UrlNormalizer.resolve("http://example.com/", null)).isNull();
  }

  @Test
  void partsOfANormalizedUrl() {
    NormalizedUrl u = UrlNormalizer.parse("HTTPS://Example.com:8443/a/../b?x=1#f");
    assertThat(u.scheme()).isEqualTo("https");
    assertThat(u.host()).isEqualTo("example.com");
    assertThat(u.port()).isEqualTo(8443);
    assertThat(u.path()).isEqualTo("/b");
    assertThat(u.query()).isEqualTo("x=1");
    assertThat(u.origin()).isEqualTo("https://example.com:8443");
    assertThat(u.robotsUrl()).isEqualTo("https://example.com:8443/robots.txt");
    assertThat(u.pathAndQuery()).isEqualTo("/b?x=1");

    NormalizedUrl d = UrlNormalizer.parse("http://example.com");
    assertThat(d.port()).isEqualTo(-1);
    assertThat(d.effectivePort()).isEqualTo(80);
    assertThat(d.origin()).isEqualTo("http://example.com:80");
    assertThat(d.robotsUrl()).isEqualTo("http://example.com/robots.txt");
  }

  /** Why crawler-commons' BasicURLNormalizer is not used: it reorders and drops query parameters. */
  @Test
  void crawlerCommonsNormalizerWouldReorderTheQuery() {
    var cc = new crawlercommons.filters.basic.BasicURLNormalizer();
    assertThat(cc.filter("http://example.com/s?b=2&a=1")).isEqualTo("http://example.com/s?a=1&b=2");
    assertThat(UrlNormalizer.normalize("http://example.com/s?b=2&a=1")).isEqualTo("http://example.com/s?b=2&a=1");
  }
}
