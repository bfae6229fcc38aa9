package dev.fetchd.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
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

  /** The contract's description of GET /metrics names the families a scrape has (`fetchd_*`...), and only those. */
  @Test
  void theContractNamesTheMetricFamiliesExported() {
    String description = String.valueOf(HelmChartTest.map(HelmChartTest.map(HelmChartTest.map(
        ComposeConfigTest.yaml("openapi.yaml").get("paths")).get("/metrics")).get("get")).get("description"));
    Matcher m = Pattern.compile("`([a-z_]+)\\*`").matcher(description);
    Set<String> named = new java.util.HashSet<>();
    while (m.find()) {
      named.add(m.group(1));
    }
    try (RunningService fetchd = RunningService.start()) {
      Set<String> exported = fetchd.get("/metrics").body().lines().filter(l -> !l.startsWith("#") && !l.isBlank())
          .map(l -> l.split("[{ ]", 2)[0]).collect(Collectors.toSet());
      assertThat(exported).as("each series is of a family the description names: %s", named)
          .allMatch(n -> named.stream().anyMatch(n::startsWith));
      assertThat(named).as("each family named has series").allMatch(f -> exported.stream().anyMatch(n -> n.startsWith(f)));
    }
  }
}
