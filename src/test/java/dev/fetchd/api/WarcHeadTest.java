package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A stored response head as the WARC export writes it. */
class WarcHeadTest {
  @Test
  void aHeadStoredBeforeSetCookieRedactionIsRedactedOnTheWayOut() {
    String head = WarcExport.forArchive("HTTP/1.1 200 OK\r\nset-cookie: session=s3cr3t-value; Path=/; HttpOnly\r\n"
        + "Set-Cookie: theme=\r\nSet-Cookie2: old=v2-value; Version=1\r\nTransfer-Encoding: chunked\r\n"
        + "Content-Type: text/html");
    assertThat(head).doesNotContain("s3cr3t-value", "v2-value")
        .contains("Set-Cookie2: old=***; Version=1\r\n")
        .contains("set-cookie: session=***; Path=/; HttpOnly\r\n")
        .contains("Set-Cookie: theme=\r\n") // a deletion carries no value
        .contains("X-Fetchd-Original-Transfer-Encoding: chunked\r\n")
        .endsWith("Content-Type: text/html\r\n\r\n");
  }

  @Test
  void aRedactedHeadStaysAsItIs() {
    String stored = "HTTP/1.1 200 OK\r\nSet-Cookie: session=***; Path=/";
    assertThat(WarcExport.forArchive(stored)).isEqualTo(stored + "\r\n\r\n");
  }
}
