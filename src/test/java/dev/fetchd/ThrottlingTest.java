package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ThrottlingTest {

  private static List<String> urls(TargetServer target, String prefix, int n, int delayMs) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      urls.add(target.url(prefix + i + "?size=100&delay=" + delayMs));
    }
    return urls;
  }

  @Test
  void aJobNeverHasMoreRequestsInFlightThanItsConcurrency() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      String id = fetchd.submitDownload(urls(target, "/bytes/c-", 60, 30),
          new JsonObject().put("concurrency", 5).put("perHostConcurrency", 100)).getString("id");
      JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(job.getJsonObject("progress").getLong("succeeded")).isEqualTo(60);
      assertThat(target.maxInFlight()).isEqualTo(5);
      assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
    }
  }

  @Test
  void perHostLimitHoldsAcrossJobs() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      JsonObject limits = new JsonObject().put("concurrency", 10).put("perHostConcurrency", 3);
      String a = fetchd.submitDownload(urls(target, "/bytes/ha-", 30, 30), limits).getString("id");
      String b = fetchd.submitDownload(urls(target, "/bytes/hb-", 30, 30), limits).getString("id");
      fetchd.awaitTerminal(a, Duration.ofSeconds(30));
      fetchd.awaitTerminal(b, Duration.ofSeconds(30));
      // both jobs target the same host:port, so together they stay within 3
      assertThat(target.maxInFlight()).isEqualTo(3);
    }
  }

  @Test
  void perHostDelaySpacesRequests() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      long t0 = System.nanoTime();
      String id = fetchd.submitDownload(urls(target, "/bytes/d-", 5, 0),
          new JsonObject().put("concurrency", 5).put("perHostDelayMs", 100)).getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      // five starts with 100 ms between each: at least 400 ms from first to last
      assertThat(ms).isGreaterThanOrEqualTo(400);
    }
  }

  @Test
  void globalLimitHoldsAcrossJobsAndIsExported() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("fetch.maxConcurrency", 4, "maxRunningJobs", 3))) {
      JsonObject limits = new JsonObject().put("concurrency", 10).put("perHostConcurrency", 50);
      List<String> ids = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        ids.add(fetchd.submitDownload(urls(target, "/bytes/g" + j + "-", 20, 40), limits).getString("id"));
      }
      RunningService.await("permits in use", Duration.ofSeconds(10), () -> fetchd.metric("fetchd_fetch_permits_in_use") == 4);
      assertThat(fetchd.metric("fetchd_fetch_permits_limit")).isEqualTo(4);
      assertThat(fetchd.metric("fetchd_fetch_waiters")).isGreaterThan(0);
      ids.forEach(id -> fetchd.awaitTerminal(id, Duration.ofSeconds(30)));
      assertThat(target.maxInFlight()).isEqualTo(4);
      assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
      assertThat(fetchd.metric("fetchd_fetch_waiters")).isZero();
      assertThat(fetchd.metric("fetchd_jobs", "state", "completed")).isEqualTo(3);
    }
  }

  @Test
  void atQueueCapacityPostAnswers429WithRetryAfterAndCreatesNothing() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("queue.capacity", 2, "maxRunningJobs", 1))) {
      // one job runs (stalled), two wait: the queue is full
      String running = fetchd.submitDownload(List.of(target.url("/stall")), null).getString("id");
      RunningService.await("first job running", Duration.ofSeconds(10),
          () -> fetchd.get("/jobs/" + running).json().getString("state").equals("running"));
      fetchd.submitDownload(List.of(target.url("/bytes/q1")), null);
      fetchd.submitDownload(List.of(target.url("/bytes/q2")), null);
      assertThat(fetchd.metric("fetchd_queue_depth")).isEqualTo(2);
      assertThat(fetchd.metric("fetchd_queue_capacity")).isEqualTo(2);

      String body = new JsonObject().put("type", "download").put("urls", new JsonArray().add(target.url("/bytes/q3")))
          .encode();
      RunningService.Response refused = fetchd.post("/jobs", body);
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.header("Retry-After")).isNotNull();
      assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
      assertThat(refused.header("Content-Type")).isEqualTo("application/problem+json");
      assertThat(refused.json().getInteger("status")).isEqualTo(429);
      assertThat(fetchd.get("/jobs?limit=1000").json().getJsonArray("jobs")).hasSize(3);
      assertThat(fetchd.metric("fetchd_jobs_rejected_total", "reason", "queue_full")).isEqualTo(1);

      // cancelling the stalled job lets the queue drain; the service takes jobs again
      assertThat(fetchd.delete("/jobs/" + running).json().getString("state")).isEqualTo("cancelled");
      RunningService.await("queue drained", Duration.ofSeconds(10), () -> fetchd.metric("fetchd_queue_depth") == 0);
      assertThat(fetchd.post("/jobs", body).status()).isEqualTo(202);
    }
  }

  @Test
  void higherPriorityJobsRunFirst() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("maxRunningJobs", 1))) {
      String blocker = fetchd.submitDownload(List.of(target.url("/bytes/blocker?delay=300")), null).getString("id");
      String low = submit(fetchd, target.url("/bytes/low"), -5);
      String normal = submit(fetchd, target.url("/bytes/normal"), 0);
      String high = submit(fetchd, target.url("/bytes/high"), 10);
      for (String id : List.of(blocker, low, normal, high)) {
        fetchd.awaitTerminal(id, Duration.ofSeconds(20));
      }
      List<String> order = target.requestLog().stream().map(s -> s.replaceAll(".*/bytes/(\\w+).*", "$1")).toList();
      assertThat(order).containsSubsequence("blocker", "high", "normal", "low");
    }
  }

  private static String submit(RunningService fetchd, String url, int priority) {
    String body = new JsonObject().put("type", "download").put("urls", new JsonArray().add(url))
        .put("priority", priority).encode();
    RunningService.Response r = fetchd.post("/jobs", body);
    assertThat(r.status()).isEqualTo(202);
    return r.json().getString("id");
  }
}
