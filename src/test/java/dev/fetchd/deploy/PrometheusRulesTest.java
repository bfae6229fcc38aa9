package dev.fetchd.deploy;

import static dev.fetchd.deploy.HelmChartTest.list;
import static dev.fetchd.deploy.HelmChartTest.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/prometheus/rules/fetchd.yml: the alerts an operator needs, on metrics fetchd exports, loaded by the
 * compose Prometheus, valid for promtool and passing its unit tests (deploy/prometheus/tests/fetchd.test.yml).
 */
class PrometheusRulesTest {
  static final String RULES = "deploy/prometheus/rules/fetchd.yml";

  static List<Map<String, Object>> rules(Map<String, Object> file) {
    return list(file.get("groups")).stream().flatMap(g -> list(map(g).get("rules")).stream())
        .map(HelmChartTest::map).toList();
  }

  @Test
  void rulesAlertOnAFullQueueRejectionsLagFailuresDownReplicasTheConnectionCapAndFailingStoreWrites() {
    List<Map<String, Object>> rules = rules(ComposeConfigTest.yaml(RULES));
    assertThat(rules).extracting(r -> r.get("alert")).containsExactlyInAnyOrder("FetchdReplicaDown",
        "FetchdQueueNearlyFull", "FetchdJobsRejected", "FetchdEventLoopLag", "FetchdJobsFailing",
        "FetchdApiConnectionsAtLimit", "FetchdStoreWritesFailing");
    for (Map<String, Object> rule : rules) {
      String expr = String.valueOf(rule.get("expr"));
      assertThat(FetchdInterface.metricNames(expr)).as("metrics in %s", expr).isNotEmpty()
          .allMatch(n -> n.equals("up") || FetchdInterface.isKnownMetric(n));
      assertThat(map(rule.get("labels"))).as("severity of %s", rule.get("alert")).containsKey("severity");
      assertThat(map(rule.get("annotations"))).containsKeys("summary", "description");
    }
  }

  @Test
  void composePrometheusLoadsTheRules() {
    assertThat(list(ComposeConfigTest.yaml("deploy/prometheus/prometheus.yml").get("rule_files")))
        .containsExactly("rules/fetchd.yml");
    List<Object> volumes = list(map(map(ComposeConfigTest.yaml("docker-compose.yml").get("services"))
        .get("prometheus")).get("volumes"));
    assertThat(volumes).contains("./deploy/prometheus/rules:/etc/prometheus/rules:ro");
  }

  @Test
  void promtoolChecksTheRulesAndTheirUnitTestsPass() throws Exception {
    String promtool = onPath("promtool");
    assumeTrue(promtool != null, "promtool is not on the PATH (Debian package prometheus): rules not checked");
    promtool(promtool, "check", "rules", RULES);
    promtool(promtool, "check", "config", "deploy/prometheus/prometheus.yml");
    promtool(promtool, "test", "rules", "deploy/prometheus/tests/fetchd.test.yml");
  }

  /**
   * The JVM heap panel's "max" query, evaluated by promtool on G1's pools: Eden and Survivor report a max of -1
   * (none), which must not be subtracted from the old generation's.
   */
  @Test
  void heapMaxPanelIgnoresPoolsWithoutAMax(@TempDir Path dir) throws Exception {
    JsonObject dashboard = new JsonObject(Files.readString(ComposeConfigTest.ROOT.resolve(
        "deploy/grafana/dashboards/fetchd.json")));
    String expr = dashboard.getJsonArray("panels").stream().map(JsonObject.class::cast)
        .filter(p -> "JVM heap".equals(p.getString("title")))
        .flatMap(p -> p.getJsonArray("targets").stream().map(JsonObject.class::cast))
        .map(t -> t.getString("expr")).filter(e -> e.contains("jvm_memory_max_bytes")).findFirst()
        .orElseThrow(() -> new AssertionError("no heap max query in the JVM heap panel"));
    String promtool = onPath("promtool");
    assumeTrue(promtool != null, "promtool is not on the PATH (Debian package prometheus): query not evaluated");
    String series = "jvm_memory_max_bytes{area=\"heap\", id=\"%s\", instance=\"a\"}";
    Path test = dir.resolve("heap.test.yml");
    Files.writeString(test, String.join("\n",
        "tests:",
        "  - interval: 1m",
        "    input_series:",
        "      - {series: '" + series.formatted("G1 Eden Space") + "', values: '-1x3'}",
        "      - {series: '" + series.formatted("G1 Survivor Space") + "', values: '-1x3'}",
        "      - {series: '" + series.formatted("G1 Old Gen") + "', values: '805306368x3'}",
        "    promql_expr_test:",
        "      - expr: '" + expr.replace("$instance", ".*").replace("'", "''") + "'",
        "        eval_time: 2m",
        "        exp_samples:",
        "          - {labels: '{instance=\"a\"}', value: 805306368}",
        ""));
    promtool(promtool, "test", "rules", test.toString());
  }

  private static void promtool(String promtool, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(promtool));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).directory(ComposeConfigTest.ROOT.toFile()).redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool %s finishes", String.join(" ", args)).isTrue();
    assertThat(p.exitValue()).as("promtool %s:\n%s", String.join(" ", args), out).isZero();
  }

  static String onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, name);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }
}
