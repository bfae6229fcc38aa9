package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A robots.txt fetch is a request to the host like any other: it waits for a host slot and a global permit. */
class RobotsPermitsTest {

  @Test
  void robotsTxtFetchesTakeTheHostSlot() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of())) {
      target.page("/robots.txt", "text/plain", "User-agent: *\nAllow: /\n");
      target.html("/rp/page.html", "<p>no links</p>");
      // job A holds the host's only slot with a request that never ends
      String a = fetchd.submitDownload(List.of(target.url("/stall")), new JsonObject().put("perHostConcurrency", 1))
          .getString("id");
      RunningService.await("A in flight", Duration.ofSeconds(10), () -> target.inFlight() == 1);
      JsonObject crawl = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(target.url("/rp/page.html")))
          .put("limits", new JsonObject().put("perHostConcurrency", 1)).put("crawl", new JsonObject().put("robots", true));
      String b = fetchd.post("/jobs", crawl.encode()).json().getString("id");
      // B asks for robots.txt: it waits for the host slot (or, without the fix, fetches it at once)
      RunningService.await("B's robots.txt waiting or fetched", Duration.ofSeconds(10),
          () -> fetchd.metric("fetchd_host_permits_waiters") >= 1 || target.requests("/robots.txt") >= 1);
      fetchd.delete("/jobs/" + a);
      JsonObject done = fetchd.awaitTerminal(b, Duration.ofSeconds(20));
      assertThat(done.getString("state")).isEqualTo("completed");
      assertThat(done.getJsonObject("progress").getLong("succeeded")).isEqualTo(1);
      assertThat(target.requests("/robots.txt")).isEqualTo(1);
      assertThat(target.maxInFlight()).as("requests at the host at once, robots.txt included").isEqualTo(1);
    }
  }
}
