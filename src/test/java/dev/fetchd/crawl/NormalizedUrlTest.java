package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The one URL type: what the API accepts, each hop requests, a redirect resolves to and politeness keys on. */
class NormalizedUrlTest {

  @Test
  void idnAndUnderscoreHostsAreAcceptedAndKeyedApart() {
    NormalizedUrl idn = NormalizedUrl.parse("http://Bücher.de/");
    NormalizedUrl underscore = NormalizedUrl.parse("http://under_score.example.com/");
    assertThat(idn).isNotNull();
    assertThat(idn.host()).isEqualTo("xn--bcher-kva.de");
    assertThat(underscore).isNotNull();
    assertThat(underscore.host()).isEqualTo("under_score.example.com");

    assertThat(NormalizedUrl.hostKey("http://bücher.de/")).isEqualTo("xn--bcher-kva.de:80");
    assertThat(NormalizedUrl.hostKey("http://XN--BCHER-KVA.de:80/x")).isEqualTo("xn--bcher-kva.de:80");
    assertThat(NormalizedUrl.hostKey("http://under_score.example.com/")).isEqualTo("under_score.example.com:80");
    assertThat(NormalizedUrl.hostKey("https://under_score.example.com/")).isEqualTo("under_score.example.com:443");
    assertThat(NormalizedUrl.hostKey("http://other_host.example.com:8080/"))
        .isEqualTo("other_host.example.com:8080");
    assertThat(NormalizedUrl.hostKey("http://[::1]:8080/")).isEqualTo("[::1]:8080");
    assertThat(NormalizedUrl.hostKey("http://Example.COM./")).isEqualTo("example.com:80");
  }

  @Test
  void rawUtf8LocationIsResolvedAsUtf8() {
    NormalizedUrl base = NormalizedUrl.parse("http://example.com/dir/page");
    // a header value as the HTTP client hands it over: one char per byte
    String wire = new String("/é?q=ü".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    assertThat(base.resolveLocation(wire).toString()).isEqualTo("http://example.com/%C3%A9?q=%C3%BC");
    assertThat(base.resolveLocation("../up").toString()).isEqualTo("http://example.com/up");
    assertThat(base.resolveLocation("//other.example/x").toString()).isEqualTo("http://other.example/x");
    assertThat(base.resolveLocation("?y").toString()).isEqualTo("http://example.com/dir/page?y");
    String idnHost = new String("http://bücher.de/".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    assertThat(base.resolveLocation(idnHost).toString()).isEqualTo("http://xn--bcher-kva.de/");
    // bytes that are not UTF-8 are kept as they came
    assertThat(base.resolveLocation("/\u00e9").toString()).isEqualTo("http://example.com/%E9");
    assertThat(base.resolveLocation("ftp://example.com/")).isNull();
  }

  @Test
  void theBareHostIsWhatASocketTakes() {
    assertThat(NormalizedUrl.parse("http://[::1]:81/").bareHost()).isEqualTo("::1");
    assertThat(NormalizedUrl.parse("http://a.example/").bareHost()).isEqualTo("a.example");
  }
}
