package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CancelAndTimeoutTest {
  static TargetServer target;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
  }

  @AfterAll
  static void stop() {
    target.close();
  }

  @Test
  void cancellingARunningJobResetsItsRequestsAndReleasesEveryPermit() throws Exception {
    try (RunningService fetchd = RunningService.start(Map.of("fetch.maxConcurrency", 8))) {
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        urls.add(target.url("/drip/cancel-" + i + "?intervalMs=50"));   // bodies in progress: partial files exist
      }
      for (int i = 0; i < 40; i++) {
        urls.add(target.url("/bytes/never-" + i));                       // waiting for permits
      }
      String id = fetchd.submitDownload(urls, new JsonObject().put("concurrency", 20).put("perHostConcurrency", 4))
          .getString("id");
      RunningService.await("four requests in flight", Duration.ofSeconds(10), () -> target.inFlight() == 4);
      RunningService.await("partial files being written", Duration.ofSeconds(10), () -> fetchd.partialFiles() == 4);
      assertThat(fetchd.metric("fetchd_host_permits_waiters")).isPositive();

      JsonObject cancelled = fetchd.delete("/jobs/" + id).json();
      assertThat(cancelled.getString("state")).isEqualTo("cancelled");
      assertThat(cancelled.getJsonObject("progress").getLong("cancelled")).isEqualTo(44);
      assertThat(cancelled.getJsonObject("progress").getLong("running")).isZero();
      assertThat(fetchd.partialFiles()).isZero();
      assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
      assertThat(fetchd.metric("fetchd_fetch_waiters")).isZero();
      assertThat(fetchd.metric("fetchd_host_permits_waiters")).isZero();
      assertThat(target.awaitIdle(Duration.ofSeconds(5))).as("the target sees its connections go").isTrue();
      assertThat(target.requestLog()).as("waiting items were never requested").noneMatch(r -> r.contains("/bytes/never-"));
      assertThat(fetchd.items(id)).allSatisfy(item -> {
        assertThat(item.getString("state")).isEqualTo("cancelled");
        assertThat(item.getJsonObject("error").getString("code")).isEqualTo("cancelled");
      });

      // idempotent: a second DELETE returns the job unchanged
      JsonObject again = fetchd.delete("/jobs/" + id).json();
      assertThat(again.getString("state")).isEqualTo("cancelled");
      assertThat(again.getString("finishedAt")).isEqualTo(cancelled.getString("finishedAt"));
      // the service still serves
      String ok = fetchd.submitDownload(List.of(target.url("/bytes/after-cancel")), null).getString("id");
      assertThat(fetchd.awaitTerminal(ok, Duration.ofSeconds(10)).getString("state")).isEqualTo("completed");
    }
  }

  @Test
  void cancellingAJobWithAThousandWaitersReleasesEverythingWithoutDeepRecursion() {
    try (RunningService fetchd = RunningService.start(Map.of("fetch.maxConcurrency", 8))) {
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        urls.add(target.url("/stall?w=" + i));
      }
      // a second job on another "host" (localhost) waits behind the same global permits
      List<String> others = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        others.add("http://localhost:" + target.port() + "/stall?o=" + i);
      }
      JsonObject limits = new JsonObject().put("concurrency", 1000).put("perHostConcurrency", 256);
      String big = fetchd.submitDownload(urls, limits).getString("id");
      String other = fetchd.submitDownload(others, limits).getString("id");
      RunningService.await("global permits taken and many waiters", Duration.ofSeconds(20),
          () -> fetchd.metric("fetchd_fetch_permits_in_use") == 8 && fetchd.metric("fetchd_fetch_waiters") > 200);

      RunningService.Response r = fetchd.delete("/jobs/" + big);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().getString("state")).isEqualTo("cancelled");
      assertThat(fetchd.delete("/jobs/" + other).json().getString("state")).isEqualTo("cancelled");
      RunningService.await("permits back", Duration.ofSeconds(10), () -> fetchd.metric("fetchd_fetch_permits_in_use") == 0);
      assertThat(fetchd.metric("fetchd_fetch_waiters")).isZero();
      assertThat(fetchd.metric("fetchd_host_permits_waiters")).isZero();
    }
  }

  @Test
  void cancellingAQueuedJobEndsItAtOnceWithoutAnyRequest() {
    try (RunningService fetchd = RunningService.start(Map.of("maxRunningJobs", 1))) {
      String blocker = fetchd.submitDownload(List.of(target.url("/stall")), null).getString("id");
      String queued = fetchd.submitDownload(List.of(target.url("/bytes/queued-never")), null).getString("id");
      assertThat(fetchd.get("/jobs/" + queued).json().getString("state")).isEqualTo("queued");
      JsonObject c = fetchd.delete("/jobs/" + queued).json();
      assertThat(c.getString("state")).isEqualTo("cancelled");
      assertThat(c.getString("startedAt")).isNull();
      assertThat(fetchd.metric("fetchd_queue_depth")).isZero();
      fetchd.delete("/jobs/" + blocker);
      assertThat(target.requests("/bytes/queued-never")).isZero();
      assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
    }
  }

  @Test
  void aFinishedJobIsReturnedUnchangedByDelete() {
    try (RunningService fetchd = RunningService.start()) {
      String id = fetchd.submitDownload(List.of(target.url("/bytes/done")), null).getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(10));
      JsonObject after = fetchd.delete("/jobs/" + id).json();
      assertThat(after.getString("state")).isEqualTo("completed");
      assertThat(after.getString("finishedAt")).isEqualTo(done.getString("finishedAt"));
    }
  }

  @Test
  void aSlowDripBodyHitsTheWholeExchangeTimeout() {
    try (RunningService fetchd = RunningService.start()) {
      // one byte every 50 ms never goes idle, but the exchange as a whole must end at 500 ms
      String id = fetchd.submitDownload(List.of(target.url("/drip/drip-timeout?intervalMs=50"), target.url("/stall")),
          new JsonObject().put("requestTimeoutMs", 500).put("retries", 0)).getString("id");
      JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(10));
      assertThat(job.getString("state")).isEqualTo("completed");
      assertThat(fetchd.items(id)).allSatisfy(item -> {
        assertThat(item.getString("state")).isEqualTo("failed");
        assertThat(item.getJsonObject("error").getString("code")).isEqualTo("timeout");
        assertThat(item.getLong("durationMs")).isBetween(450L, 5000L);
      });
      assertThat(fetchd.partialFiles()).isZero();
      assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
    }
  }

  @Test
  void theJobDeadlineEndsTheJobTimedOut() {
    try (RunningService fetchd = RunningService.start()) {
      String id = fetchd.submitDownload(List.of(target.url("/stall"), target.url("/drip/deadline?intervalMs=20"),
              target.url("/bytes/deadline-ok")),
          new JsonObject().put("timeoutMs", 1000).put("requestTimeoutMs", 60_000)).getString("id");
      JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(10));
      assertThat(job.getString("state")).isEqualTo("timed_out");
      assertThat(job.getJsonObject("error").getString("code")).isEqualTo("timed_out");
      assertThat(job.getJsonObject("progress").getLong("succeeded")).isEqualTo(1);
      assertThat(job.getJsonObject("progress").getLong("cancelled")).isEqualTo(2);
      assertThat(fetchd.partialFiles()).isZero();
      assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
      assertThat(fetchd.metric("fetchd_jobs", "state", "timed_out")).isEqualTo(1);
    }
  }
}
