package dev.fetchd.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The metric names the dashboard and the docs rely on are the ones a running fetchd really exports. */
class MetricsExposedTest {

  @Test
  void everyDocumentedFetchdMetricIsExported() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      String id = fetchd.submitDownload(List.of(target.url("/bytes/m1?size=10")), null).getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(10));
      String text = fetchd.get("/metrics").body();
      for (String name : FetchdInterface.FETCHD_METRICS) {
        assertThat(text).as(name).containsPattern("(?m)^" + name + "(\\{| )");
      }
      for (String prefix : FetchdInterface.OTHER_METRIC_PREFIXES) {
        assertThat(text).as(prefix).containsPattern("(?m)^" + prefix);
      }
    }
  }
}
