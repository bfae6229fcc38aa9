package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthTest {
  static final String ALICE = "alice-token-0123456789";
  static final String BOB = "bob-token-0123456789ab";
  static final String ADMIN = "admin-token-0123456789";

  private static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  @Test
  void tokensGuardEveryEndpointButHealthAndEachTokenSeesOnlyItsOwnJobs(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tokens");
    Files.writeString(file, "# rotated in next week\n" + BOB + "\n");
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("apiTokens", ALICE, "apiTokensFile", file.toString(),
             "adminTokens", ADMIN))) {
      String body = new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/auth?size=10"))).encode();

      RunningService.Response anonymous = fetchd.post("/jobs", body);
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.header("WWW-Authenticate")).startsWith("Bearer");
      assertThat(anonymous.header("Content-Type")).isEqualTo("application/problem+json");
      assertThat(fetchd.post("/jobs", body, bearer("not-a-token-at-all-really")).status()).isEqualTo(401);
      assertThat(fetchd.get("/jobs").status()).isEqualTo(401);
      assertThat(fetchd.get("/openapi.yaml").status()).isEqualTo(401);
      assertThat(fetchd.get("/health/live").status()).isEqualTo(200);
      assertThat(fetchd.get("/health/ready").status()).isEqualTo(200);
      assertThat(fetchd.get("/metrics").status()).as("metrics need a token once tokens are set").isEqualTo(401);

      RunningService.Response submitted = fetchd.post("/jobs", body, bearer(ALICE));
      assertThat(submitted.status()).isEqualTo(202);
      String id = submitted.json().getString("id");

      // bob (from the tokens file) cannot see, list, read or cancel alice's job
      assertThat(fetchd.get("/jobs/" + id, bearer(BOB)).status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/" + id + "/items", bearer(BOB)).status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/" + id + "/deliveries", bearer(BOB)).status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/" + id + "/deliveries").status()).isEqualTo(401);
      assertThat(fetchd.delete("/jobs/" + id, bearer(BOB)).status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs", bearer(BOB)).json().getJsonArray("jobs")).isEmpty();

      // alice and the admin can
      assertThat(fetchd.get("/jobs/" + id + "?wait=10", bearer(ALICE)).json().getString("state")).isEqualTo("completed");
      // a finished job's answer is kept for the next reads: it still goes only to whoever may see it
      assertThat(fetchd.get("/jobs/" + id, bearer(BOB)).status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/" + id + "?wait=5", bearer(BOB)).status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/" + id).status()).isEqualTo(401);
      assertThat(fetchd.get("/jobs/" + id, bearer(ADMIN)).json().getString("state")).isEqualTo("completed");
      assertThat(fetchd.get("/jobs/" + id + "/items/0/content", bearer(ALICE)).status()).isEqualTo(200);
      assertThat(fetchd.get("/jobs/" + id + "/deliveries", bearer(ALICE)).status()).isEqualTo(200);
      assertThat(fetchd.get("/jobs/" + id + "/deliveries", bearer(ADMIN)).status()).isEqualTo(200);
      assertThat(fetchd.get("/jobs", bearer(ALICE)).json().getJsonArray("jobs")).hasSize(1);
      assertThat(fetchd.get("/jobs", bearer(ADMIN)).json().getJsonArray("jobs")).hasSize(1);
      assertThat(fetchd.delete("/jobs/" + id, bearer(ADMIN)).status()).isEqualTo(200);

      // the same Idempotency-Key from two callers makes two jobs
      String a = fetchd.post("/jobs", body, "Idempotency-Key", "k", "Authorization", "Bearer " + ALICE).json().getString("id");
      String b = fetchd.post("/jobs", body, "Idempotency-Key", "k", "Authorization", "Bearer " + BOB).json().getString("id");
      assertThat(a).isNotEqualTo(b);
    }
  }

  @Test
  void dotSegmentsCannotSneakPastTheTokenCheck() throws Exception {
    try (RunningService fetchd = RunningService.start(Map.of("apiTokens", ALICE))) {
      int port = java.net.URI.create(fetchd.baseUrl()).getPort();
      for (String path : List.of("/health/../jobs", "/health/%2e%2e/jobs", "/metrics/../jobs", "/health/live/../../jobs")) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
          s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          String status = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream())).readLine();
          assertThat(status).as(path).startsWith("HTTP/1.1 401");
        }
      }
    }
  }

  @Test
  void metricsPrivateByDefaultWithTokens() {
    try (RunningService fetchd = RunningService.start(Map.of("apiTokens", ALICE))) {
      RunningService.Response anonymous = fetchd.get("/metrics");
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.header("Content-Type")).isEqualTo("application/problem+json");
      assertThat(fetchd.get("/metrics", bearer(ALICE)).status()).isEqualTo(200);
      assertThat(fetchd.get("/health/live").status()).isEqualTo(200);
    }
    // without tokens the whole API is open, metrics included; with tokens they can still be made public
    try (RunningService open = RunningService.start()) {
      assertThat(open.get("/metrics").status()).isEqualTo(200);
    }
    try (RunningService fetchd = RunningService.start(Map.of("apiTokens", ALICE, "metricsPublic", "true"))) {
      assertThat(fetchd.get("/metrics").status()).isEqualTo(200);
    }
  }

  @Test
  void metricsPublicSettingKeepsTrueAndFalseAndDefaultsToAuto() {
    java.util.function.Function<Map<String, String>, Boolean> pub =
        env -> dev.fetchd.config.ConfigLoader.load(null, env).metricsPublic();
    assertThat(pub.apply(Map.of())).isTrue();
    assertThat(pub.apply(Map.of("FETCHD_API_TOKENS", ALICE))).isFalse();
    assertThat(pub.apply(Map.of("FETCHD_ADMIN_TOKENS", ADMIN))).isFalse();
    assertThat(pub.apply(Map.of("FETCHD_API_TOKENS", ALICE, "FETCHD_METRICS_PUBLIC", "true"))).isTrue();
    assertThat(pub.apply(Map.of("FETCHD_METRICS_PUBLIC", "false"))).isFalse();
    assertThat(pub.apply(Map.of("FETCHD_API_TOKENS", ALICE, "FETCHD_METRICS_PUBLIC", "auto"))).isFalse();
  }

  @Test
  void metricsCanRequireAToken() {
    try (RunningService fetchd = RunningService.start(Map.of("apiTokens", ALICE, "metricsPublic", false))) {
      assertThat(fetchd.get("/metrics").status()).isEqualTo(401);
      assertThat(fetchd.get("/metrics", bearer(ALICE)).status()).isEqualTo(200);
    }
  }

  @Test
  void concurrentSubmissionsWithOneIdempotencyKeyMakeOneJob() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      String body = new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/same?size=10"))).encode();
      var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        var futures = new java.util.ArrayList<java.util.concurrent.Future<String>>();
        for (int i = 0; i < 16; i++) {
          futures.add(pool.submit(() -> fetchd.post("/jobs", body, "Idempotency-Key", "once").json().getString("id")));
        }
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (var f : futures) {
          ids.add(f.get());
        }
        assertThat(ids).hasSize(1);
        assertThat(fetchd.get("/jobs").json().getJsonArray("jobs")).hasSize(1);
        fetchd.awaitTerminal(ids.iterator().next(), Duration.ofSeconds(10));
      } finally {
        pool.shutdown();
      }
    }
  }
}
