package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad request options are refused with a 400 that names the field at fault, and never quotes a value. */
class RequestOptionsValidationTest {
  static RunningService fetchd;

  @BeforeAll
  static void start() {
    fetchd = RunningService.start();
  }

  @AfterAll
  static void stop() {
    fetchd.close();
  }

  /** Submits a download with this {@code request} and returns the problem's fields (asserting a 400). */
  static List<String> refusedFields(JsonObject request) {
    JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray().add("https://example.com/"))
        .put("request", request);
    RunningService.Response r = fetchd.post("/jobs", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
    return r.json().getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")).toList();
  }

  static JsonObject headers(String name, String value) {
    return new JsonObject().put("headers", new JsonObject().put(name, value));
  }

  @Test
  void eachHeaderFetchdOwnsIsRefusedByName() {
    for (String name : List.of("Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade",
        "TE", "Trailer", "Proxy-Connection", "host", "Expect", "Accept-Encoding", "User-Agent")) {
      assertThat(refusedFields(headers(name, "x"))).as(name).containsExactly("/request/headers/" + name);
    }
  }

  @Test
  void badNamesAndValuesAreRefusedWithoutEchoingTheValue() {
    assertThat(refusedFields(headers("Bad Name", "x"))).containsExactly("/request/headers/Bad Name");
    assertThat(refusedFields(headers("X-Empty-Name:", "x"))).containsExactly("/request/headers/X-Empty-Name:");
    for (String value : List.of("a\r\nX-Injected: 1", "a\nb", "a\u0000b", "caf\u00e9", "a\u001bb")) {
      JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray().add("https://example.com/"))
          .put("request", headers("X-Thing", value));
      RunningService.Response r = fetchd.post("/jobs", body.encode());
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("/request/headers/X-Thing");
      assertThat(r.body()).doesNotContain("Injected");
    }
    String longSecret = "Bearer " + "S3CRET".repeat(1500);
    JsonObject longBody = new JsonObject().put("type", "download").put("urls", new JsonArray().add("https://example.com/"))
        .put("request", headers("Authorization", longSecret));
    RunningService.Response tooLong = fetchd.post("/jobs", longBody.encode());
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.body()).contains("/request/headers/Authorization").doesNotContain("S3CRETS3CRET");
    JsonObject twice = new JsonObject().put("headers", new JsonObject().put("X-A", "1").put("x-a", "2"));
    assertThat(refusedFields(twice)).containsExactly("/request/headers/x-a");
    assertThat(refusedFields(new JsonObject().put("userAgent", "bot\r\nX: y"))).containsExactly("/request/userAgent");
    assertThat(refusedFields(new JsonObject().put("userAgent", ""))).containsExactly("/request/userAgent");
    assertThat(refusedFields(new JsonObject().put("headers", new JsonObject().put("X-N", 5))))
        .containsExactly("/request/headers/X-N");
    assertThat(refusedFields(new JsonObject().put("unknown", 1))).containsExactly("/request/unknown");
  }

  @Test
  void countAndSizeAreBounded() {
    JsonObject many = new JsonObject();
    for (int i = 0; i < 65; i++) {
      many.put("X-H" + i, "v");
    }
    assertThat(refusedFields(new JsonObject().put("headers", many))).containsExactly("/request/headers");
    JsonObject big = new JsonObject();
    for (int i = 0; i < 3; i++) {
      big.put("X-Big" + i, "v".repeat(3000));
    }
    assertThat(refusedFields(new JsonObject().put("headers", big))).containsExactly("/request");
  }

  @Test
  void cookiesFollowRfc6265Syntax() {
    JsonObject ok = new JsonObject().put("name", "sid").put("value", "abc");
    assertThat(refusedFields(cookies(ok.copy().put("name", "s id")))).containsExactly("/request/cookies/0/name");
    assertThat(refusedFields(cookies(ok.copy().put("value", "a;b")))).containsExactly("/request/cookies/0/value");
    assertThat(refusedFields(cookies(ok.copy().put("value", "a b")))).containsExactly("/request/cookies/0/value");
    assertThat(refusedFields(cookies(ok.copy().remove("value") == null ? ok : withoutValue(ok))))
        .contains("/request/cookies/0/value");
    assertThat(refusedFields(cookies(ok.copy().put("domain", "exa mple.com")))).containsExactly("/request/cookies/0/domain");
    assertThat(refusedFields(cookies(ok.copy().put("path", "nope")))).containsExactly("/request/cookies/0/path");
    assertThat(refusedFields(new JsonObject().put("secretHeaders", new JsonArray().add("X Bad"))))
        .containsExactly("/request/secretHeaders/0");
  }

  @Test
  void goodOptionsAreAcceptedAndEchoedWithSecretsHidden() {
    JsonObject request = new JsonObject()
        .put("headers", new JsonObject().put("Authorization", "Bearer abc").put("X-Key", "k").put("Accept", "text/csv"))
        .put("userAgent", "mybot/1.0").put("secretHeaders", new JsonArray().add("X-Key"))
        .put("cookies", new JsonArray().add(new JsonObject().put("name", "sid").put("value", "\"quoted\"")
            .put("domain", ".Example.com")));
    // a closed loopback port: the job ends at once, without TLS or DNS
    JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray().add("http://127.0.0.1:1/x"))
        .put("limits", new JsonObject().put("retries", 0)).put("request", request);
    RunningService.Response r = fetchd.post("/jobs", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    JsonObject shown = r.json().getJsonObject("spec").getJsonObject("request");
    assertThat(shown.getJsonObject("headers").encode())
        .isEqualTo("{\"Authorization\":\"***\",\"X-Key\":\"***\",\"Accept\":\"text/csv\"}");
    assertThat(shown.getString("userAgent")).isEqualTo("mybot/1.0");
    assertThat(shown.getJsonArray("cookies").getJsonObject(0).encode())
        .isEqualTo("{\"name\":\"sid\",\"value\":\"***\",\"domain\":\"example.com\",\"path\":\"/\"}");
    assertThat(r.body()).doesNotContain("abc").doesNotContain("quoted");
    fetchd.awaitTerminal(r.json().getString("id"), java.time.Duration.ofSeconds(20));
  }

  @Test
  void anIdempotencyKeyTellsSecretValuesApartThoughTheyAreNeverShown() {
    java.util.function.Function<String, String> body = token -> new JsonObject().put("type", "download")
        .put("urls", new JsonArray().add("http://127.0.0.1:1/idem")).put("limits", new JsonObject().put("retries", 0))
        .put("request", headers("Authorization", "Bearer " + token)).encode();
    RunningService.Response first = fetchd.post("/jobs", body.apply("one"), "Idempotency-Key", "idem-secrets");
    assertThat(first.status()).isEqualTo(202);
    RunningService.Response again = fetchd.post("/jobs", body.apply("one"), "Idempotency-Key", "idem-secrets");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getString("id")).isEqualTo(first.json().getString("id"));
    RunningService.Response other = fetchd.post("/jobs", body.apply("two"), "Idempotency-Key", "idem-secrets");
    assertThat(other.status()).isEqualTo(422);
    fetchd.awaitTerminal(first.json().getString("id"), java.time.Duration.ofSeconds(20));
  }

  private static JsonObject withoutValue(JsonObject cookie) {
    JsonObject c = cookie.copy();
    c.remove("value");
    return c;
  }

  private static JsonObject cookies(JsonObject cookie) {
    return new JsonObject().put("cookies", new JsonArray().add(cookie));
  }
}
