package dev.fetchd.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HttpHeadsTest {

  @Test
  void aSetCookieValueIsHiddenAndItsNameAndAttributesKept() {
    assertThat(HttpHeads.redactSetCookie("session=abc123; Path=/; HttpOnly")).isEqualTo("session=***; Path=/; HttpOnly");
    assertThat(HttpHeads.redactSetCookie("id=\"quoted=v\"")).isEqualTo("id=***");
    assertThat(HttpHeads.redactSetCookie("session=; Max-Age=0; Path=/")).as("a deletion shows no secret")
        .isEqualTo("session=; Max-Age=0; Path=/");
    assertThat(HttpHeads.redactSetCookie("tokenwithoutname; Secure")).isEqualTo("***; Secure");
  }

  @Test
  void cookiesFoldedIntoOneSetCookieLineAreEachHidden() {
    // RFC 6265 forbids folding Set-Cookie, yet servers and proxies do it; every cookie's value must go
    assertThat(HttpHeads.redactSetCookie("a=one; Path=/, b=two; HttpOnly"))
        .isEqualTo("a=***; Path=/, b=***; HttpOnly");
    // the comma inside an Expires date starts no new cookie
    assertThat(HttpHeads.redactSetCookie("sid=s3cret; Expires=Wed, 09 Jun 2027 10:18:14 GMT, tok=t0ken; Secure"))
        .isEqualTo("sid=***; Expires=Wed, 09 Jun 2027 10:18:14 GMT, tok=***; Secure");
    assertThat(HttpHeads.redactSetCookie("a=1,b=2")).isEqualTo("a=***,b=***");
    assertThat(HttpHeads.redactSetCookie("gone=, kept=v")).isEqualTo("gone=, kept=***");
  }
}
