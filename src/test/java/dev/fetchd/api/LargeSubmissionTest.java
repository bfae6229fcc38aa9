package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.config.FetchdConfig;
import dev.fetchd.testkit.RunningService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The defaults agree: a job of jobs.maxUrls realistic URLs fits the default body limit. */
class LargeSubmissionTest {

  @Test
  void hundredThousandUrlJobFitsDefaultBodyLimit() {
    FetchdConfig defaults = FetchdConfig.defaults();
    assertThat(defaults.jobsMaxUrls()).isEqualTo(100_000);
    // One running job that waits on its host's delay keeps the big job queued, so the test measures the API
    // (the engine's own work on a running job of 100,000 items is another matter). Private addresses are
    // refused: nothing is ever connected to and no name is looked up.
    try (RunningService fetchd = RunningService.start(Map.of("allowPrivateNetworks", false, "maxRunningJobs", 1))) {
      String blocker = fetchd.submitDownload(List.of("http://10.9.9.9/a", "http://10.9.9.9/b"),
          new JsonObject().put("perHostConcurrency", 1).put("perHostDelayMs", 60_000).put("concurrency", 1))
          .getString("id");
      JsonArray urls = new JsonArray();
      for (int i = 0; i < defaults.jobsMaxUrls(); i++) {
        // ~150-200 bytes each, like real page and asset URLs
        urls.add("http://10.1." + (i % 97) + ".7/assets/catalogue/section-" + (i % 1000)
            + "/item-" + i + "/image-large.jpg?version=2024-" + (i % 12) + "&size=1024x768&session="
            + Long.toHexString(i * 0x9E3779B97F4A7C15L) + "&track=" + "x".repeat(i % 40));
      }
      String body = new JsonObject().put("type", "download").put("urls", urls)
          .put("limits", new JsonObject().put("timeoutMs", 1_000)).encode();
      assertThat(body.getBytes(StandardCharsets.UTF_8).length).as("body size").isGreaterThan(15_000_000);

      RunningService.Response r = fetchd.post("/jobs", body);
      assertThat(r.status()).as(r.body().length() > 500 ? r.body().substring(0, 500) : r.body()).isEqualTo(202);
      String id = r.json().getString("id");
      assertThat(r.json().getJsonObject("progress").getInteger("total")).isEqualTo(100_000);
      assertThat(r.json().getString("state")).isEqualTo("queued");
      assertThat(fetchd.delete("/jobs/" + id).status()).isEqualTo(200);
      assertThat(fetchd.delete("/jobs/" + blocker).status()).isEqualTo(200);
      fetchd.awaitTerminal(id, Duration.ofSeconds(60));
      // close() fails the test if the event loop was reported blocked at any point
    }
  }
}
