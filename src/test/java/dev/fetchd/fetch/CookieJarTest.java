package dev.fetchd.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.crawl.NormalizedUrl;
import java.util.List;
import org.junit.jupiter.api.Test;

class CookieJarTest {
  static final long NOW = 1_000_000;

  static NormalizedUrl u(String url) {
    return NormalizedUrl.parse(url);
  }

  @Test
  void hostOnlyCookiesStayOnTheirHostAndDomainCookiesReachSubdomains() {
    CookieJar jar = new CookieJar();
    jar.store(u("https://www.example.com/login"), List.of("a=1; Path=/", "b=2; Domain=.example.com; Path=/"), NOW);
    assertThat(jar.header(u("https://www.example.com/x"), NOW, true)).isEqualTo("a=1; b=2");
    assertThat(jar.header(u("https://img.example.com/x"), NOW, true)).isEqualTo("b=2");
    assertThat(jar.header(u("https://example.org/x"), NOW, true)).isNull();
  }

  @Test
  void aResponseCannotSetACookieForAnotherSiteOrAPublicSuffix() {
    CookieJar jar = new CookieJar();
    jar.store(u("https://www.example.com/"), List.of("x=1; Domain=other.com", "y=2; Domain=com",
        "z=3; Domain=co.uk"), NOW);
    assertThat(jar.size()).isZero();
    jar.store(u("http://127.0.0.1:8080/"), List.of("ip=1; Domain=0.0.1"), NOW);
    assertThat(jar.size()).isZero();
  }

  @Test
  void pathsMatchPerRfc6265AndTheDefaultPathIsTheDirectory() {
    CookieJar jar = new CookieJar();
    jar.store(u("https://h.test/app/login"), List.of("d=1", "p=2; Path=/app/admin"), NOW);
    assertThat(jar.header(u("https://h.test/app/page"), NOW, true)).isEqualTo("d=1");
    assertThat(jar.header(u("https://h.test/app/admin/x"), NOW, true)).isEqualTo("p=2; d=1");
    assertThat(jar.header(u("https://h.test/app/administrator"), NOW, true)).isEqualTo("d=1");
    assertThat(jar.header(u("https://h.test/other"), NOW, true)).isNull();
  }

  @Test
  void secureCookiesGoOverHttpsOnlyAndMaxAgeExpiresThem() {
    CookieJar jar = new CookieJar();
    jar.store(u("https://h.test/"), List.of("s=1; Secure; Path=/", "t=2; Max-Age=10; Path=/"), NOW);
    jar.store(u("http://h.test/"), List.of("plain=3; Path=/"), NOW);
    // set over https, Secure or not: never sent over http; one set over http goes to both
    assertThat(jar.header(u("http://h.test/"), NOW, true)).isEqualTo("plain=3");
    assertThat(jar.header(u("https://h.test/"), NOW, true)).isEqualTo("s=1; t=2; plain=3");
    jar.store(u("http://h.test/"), List.of("plain=; Max-Age=0; Path=/"), NOW);
    assertThat(jar.header(u("https://h.test/"), NOW, true)).isEqualTo("s=1; t=2");
    assertThat(jar.header(u("https://h.test/"), NOW + 11_000, true)).isEqualTo("s=1");
    jar.store(u("https://h.test/"), List.of("s=; Max-Age=0; Path=/"), NOW);
    assertThat(jar.header(u("https://h.test/"), NOW, true)).isNull();
    jar.store(u("http://h.test/"), List.of("insecure=1; Secure"), NOW);
    assertThat(jar.size()).isZero();
  }

  @Test
  void aNewValueReplacesTheOldAndTheJarIsBounded() {
    CookieJar jar = new CookieJar();
    jar.store(u("https://h.test/"), List.of("a=1; Path=/"), NOW);
    jar.store(u("https://h.test/"), List.of("a=2; Path=/"), NOW);
    assertThat(jar.header(u("https://h.test/"), NOW, true)).isEqualTo("a=2");
    for (int i = 0; i < CookieJar.MAX_COOKIES + 10; i++) {
      jar.store(u("https://h.test/"), List.of("c" + i + "=v; Path=/"), NOW);
    }
    assertThat(jar.size()).isEqualTo(CookieJar.MAX_COOKIES);
  }

  @Test
  void theJobsOwnCookiesWithoutDomainGoWhereverItsCredentialsGoAndNowhereElse() {
    CookieJar jar = new CookieJar();
    jar.add("sid", "s3", null, "/");
    jar.add("scoped", "v", "example.com", "/api");
    jar.store(u("https://www.example.com/"), List.of("site=1; Path=/"), NOW);
    assertThat(jar.header(u("https://any.test/"), NOW, true)).isEqualTo("sid=s3");
    assertThat(jar.header(u("https://www.example.com/api/x"), NOW, true)).isEqualTo("scoped=v; sid=s3; site=1");
    // where credentials may not go, only what the site itself set goes back to it
    assertThat(jar.header(u("https://any.test/"), NOW, false)).isNull();
    assertThat(jar.header(u("https://www.example.com/api/x"), NOW, false)).isEqualTo("site=1");
  }
}
