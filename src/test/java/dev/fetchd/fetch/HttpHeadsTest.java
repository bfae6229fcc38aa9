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
}
