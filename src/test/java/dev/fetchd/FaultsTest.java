package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every fault of a target ends as an item error with a stable code, and the service keeps serving. */
class FaultsTest {
  static TargetServer target;
  static RunningService fetchd;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    fetchd = RunningService.start(Map.of("fetch.maxRedirects", 5, "fetch.maxRetryAfterMs", 2000));
  }

  @AfterAll
  static void stop() {
    fetchd.close();
    target.close();
  }

  private JsonObject only(String url, JsonObject limits) {
    String id = fetchd.submitDownload(List.of(url), limits).getString("id");
    JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
    assertThat(job.getString("state")).isEqualTo("completed");
    JsonObject item = fetchd.items(id).get(0);
    assertThat(fetchd.partialFiles()).isZero();
    assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
    // the service still serves after the fault
    assertThat(fetchd.get("/health/ready").status()).isEqualTo(200);
    return item;
  }

  private static JsonObject noRetry() {
    return new JsonObject().put("retries", 0);
  }

  @Test
  void transientFailuresAreRetriedWithBackoff() {
    JsonObject item = only(target.url("/flaky/f1?fail=2&code=503&size=50"), new JsonObject().put("retries", 3));
    assertThat(item.getString("state")).isEqualTo("succeeded");
    assertThat(item.getInteger("attempts")).isEqualTo(3);
    assertThat(item.getString("sha256")).isEqualTo(TargetServer.sha256("f1", 50));
  }

  @Test
  void retryAfterIsHonoured() {
    long t0 = System.nanoTime();
    JsonObject item = only(target.url("/flaky/f2?fail=1&code=429&retryAfter=1&size=10"), new JsonObject().put("retries", 1));
    assertThat(item.getString("state")).isEqualTo("succeeded");
    assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(1000);
  }

  @Test
  void retriesStopAtTheLimit() {
    JsonObject item = only(target.url("/status/500?n=limit"), new JsonObject().put("retries", 2));
    assertThat(item.getString("state")).isEqualTo("failed");
    assertThat(item.getInteger("attempts")).isEqualTo(3);
    assertThat(item.getInteger("status")).isEqualTo(500);
    assertThat(item.getJsonObject("error").getString("code")).isEqualTo("http_status");
  }

  @Test
  void clientErrorsAreNotRetried() {
    JsonObject item = only(target.url("/status/404?n=noretry"), new JsonObject().put("retries", 3));
    assertThat(item.getInteger("attempts")).isEqualTo(1);
    assertThat(item.getJsonObject("error").getString("code")).isEqualTo("http_status");
  }

  @Test
  void aDeclaredLengthOverMaxBytesIsRefusedUpFront() {
    JsonObject item = only(target.url("/big/huge?size=50000000"), noRetry().put("maxBytes", 1000));
    assertThat(item.getJsonObject("error").getString("code")).isEqualTo("too_large");
  }

  @Test
  void anEndlessBodyIsCutAtMaxBytes() {
    JsonObject item = only(target.url("/endless"), noRetry().put("maxBytes", 100_000));
    assertThat(item.getString("state")).isEqualTo("failed");
    assertThat(item.getJsonObject("error").getString("code")).isEqualTo("too_large");
  }

  @Test
  void aChunkedBodyOverMaxBytesIsCut() {
    JsonObject item = only(target.url("/chunked/c1?size=300000"), noRetry().put("maxBytes", 100_000));
    assertThat(item.getJsonObject("error").getString("code")).isEqualTo("too_large");
  }

  @Test
  void aBodyShorterThanItsContentLengthIsNeverStored() {
    JsonObject item = only(target.url("/short/s1?size=10000&send=4000"), noRetry());
    assertThat(item.getString("state")).isEqualTo("failed");
    assertThat(item.getJsonObject("error").getString("code")).isIn("truncated", "reset");
    assertThat(item.getString("sha256")).isNull();
    assertThat(item.getString("content")).isNull();
  }

  @Test
  void aResetMidBodyIsAnError() {
    JsonObject item = only(target.url("/reset/r1?size=100000&after=30000"), noRetry());
    assertThat(item.getString("state")).isEqualTo("failed");
    assertThat(item.getJsonObject("error").getString("code")).isIn("reset", "truncated");
  }

  @Test
  void redirectLoopsAndTooManyHopsEndAsRedirectLoop() {
    assertThat(only(target.url("/loop/l1"), noRetry()).getJsonObject("error").getString("code")).isEqualTo("redirect_loop");
    assertThat(only(target.url("/redirect/9?to=/bytes/far"), noRetry()).getJsonObject("error").getString("code"))
        .isEqualTo("redirect_loop");
  }

  @Test
  void aRefusedConnectionIsConnectFailed() {
    JsonObject item = only("http://127.0.0.1:1/nothing-listens", noRetry());
    assertThat(item.getJsonObject("error").getString("code")).isEqualTo("connect_failed");
  }

  @Test
  void privateAddressesAreBlockedUnlessAllowed() {
    try (RunningService strict = RunningService.start(Map.of("allowPrivateNetworks", false))) {
      String id = strict.submitDownload(List.of(target.url("/bytes/blocked"), "http://localhost:" + target.port() + "/bytes/b2",
          "http://169.254.169.254/latest/meta-data/"), null).getString("id");
      strict.awaitTerminal(id, Duration.ofSeconds(10));
      assertThat(strict.items(id)).allSatisfy(item -> {
        assertThat(item.getString("state")).isEqualTo("failed");
        assertThat(item.getJsonObject("error").getString("code")).isEqualTo("blocked_address");
      });
      assertThat(target.requests("/bytes/blocked")).isZero();
    }
  }

  @Test
  void fetchOutcomesAreCountedInTheLatencyHistogram() {
    only(target.url("/bytes/hist?size=10"), null);
    assertThat(fetchd.metric("fetchd_fetch_duration_seconds_count", "outcome", "success")).isPositive();
    assertThat(fetchd.metric("fetchd_fetch_bytes_total")).isPositive();
    assertThat(fetchd.metric("fetchd_event_loop_lag_seconds")).isGreaterThanOrEqualTo(0);
    assertThat(fetchd.metric("vertx_http_client_active_requests")).as("Vert.x's per-request client meters are off").isNaN();
    // summed over the heap pools: one pool alone (eden right after a collection) may well be empty
    assertThat(fetchd.metricSum("jvm_memory_used_bytes", "area", "heap")).isPositive();
  }
}
