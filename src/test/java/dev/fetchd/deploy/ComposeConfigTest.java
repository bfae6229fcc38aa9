package dev.fetchd.deploy;

import static dev.fetchd.deploy.HelmChartTest.list;
import static dev.fetchd.deploy.HelmChartTest.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml, the Prometheus config and the Grafana provisioning, parsed and checked against one
 * another and against what fetchd reads and exports, so that `docker compose up` shows a working
 * dashboard rather than "No data".
 */
class ComposeConfigTest {
  static final Path ROOT = Path.of("").toAbsolutePath();

  final Map<String, Object> compose = yaml("docker-compose.yml");
  final Map<String, Object> services = map(compose.get("services"));

  @Test
  void everyServiceHasAnImageOrABuild() {
    assertThat(services).containsKeys("fetchd", "prometheus", "grafana");
    services.forEach((name, s) -> assertThat(map(s).keySet()).as("image or build of %s", name)
        .containsAnyOf("image", "build"));
    assertThat(service("fetchd").get("build")).as("fetchd is built from the repository's Dockerfile").isEqualTo(".");
    assertThat((String) service("prometheus").get("image")).startsWith("prom/prometheus:");
    assertThat((String) service("grafana").get("image")).startsWith("grafana/grafana:");
  }

  @Test
  void publishedPortsAreTheDocumentedOnesAndDoNotCollide() {
    assertThat(ports("fetchd")).containsExactly(new Port(8080, 8080));
    assertThat(ports("prometheus")).containsExactly(new Port(9090, 9090));
    assertThat(ports("grafana")).containsExactly(new Port(3000, 3000));
    List<Integer> hostPorts = services.keySet().stream().flatMap(s -> ports(s).stream()).map(Port::host).toList();
    assertThat(hostPorts).doesNotHaveDuplicates();
  }

  @Test
  void fetchdListensWhereTheImageAndTheComposeFileSayItDoes() throws IOException {
    Map<String, String> env = environment("fetchd");
    int listens = Integer.parseInt(env.getOrDefault("FETCHD_HTTP_PORT", "8080"));
    assertThat(ports("fetchd")).extracting(Port::container).containsExactly(listens);
    assertThat(Files.readString(ROOT.resolve("Dockerfile"))).containsPattern("(?m)^EXPOSE\\s+" + listens + "\\s*$");
  }

  @Test
  void fetchdIsGivenOnlySettingsItReads() {
    Map<String, String> env = environment("fetchd");
    assertThat(env.keySet().stream().filter(k -> k.startsWith("FETCHD_"))).allMatch(FetchdInterface.ALL_ENV::contains);
    // Its data directory is a volume, so fetched bodies survive `docker compose up` recreating the container.
    String dataDir = env.getOrDefault("FETCHD_DATA_DIR", "/data");
    assertThat(volumeTargets("fetchd")).contains(dataDir);
  }

  @Test
  void composeWaitsLongerThanFetchdsShutdownGrace() {
    long graceMs = Long.parseLong(environment("fetchd").getOrDefault("FETCHD_SHUTDOWN_GRACE_MS", "30000"));
    Duration stop = Duration.parse("PT" + String.valueOf(service("fetchd").get("stop_grace_period")).toUpperCase());
    assertThat(stop.toMillis()).isGreaterThan(graceMs);
  }

  @Test
  void fetchdHasAMemoryLimitAndAHeapSizedFromIt() {
    Object limit = service("fetchd").get("mem_limit");
    assertThat(limit).as("fetchd's mem_limit (else the JVM sizes its heap from the host's memory)").isNotNull();
    assertThat(bytes(String.valueOf(limit))).isGreaterThanOrEqualTo(256L << 20);
    String javaOptions = environment("fetchd").getOrDefault("JAVA_TOOL_OPTIONS", "");
    Matcher percent = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(?:\\.\\d+)?)").matcher(javaOptions);
    assertThat(percent.find()).as("JAVA_TOOL_OPTIONS sizes the heap from the limit: %s", javaOptions).isTrue();
    assertThat(Double.parseDouble(percent.group(1))).as("heap share of the limit, room left for the rest")
        .isBetween(25.0, 80.0);
    assertThat(javaOptions).doesNotContain("-Xmx");
  }

  @Test
  void servicesStartOnceWhatTheyDependOnIsHealthy() {
    int dependencies = 0;
    for (String name : services.keySet()) {
      Object dependsOn = service(name).get("depends_on");
      if (dependsOn == null) {
        continue;
      }
      assertThat(dependsOn).as("depends_on of %s: the long form, with a condition", name).isInstanceOf(Map.class);
      for (Map.Entry<String, Object> d : map(dependsOn).entrySet()) {
        dependencies++;
        assertThat(map(d.getValue())).as("%s waits for %s", name, d.getKey())
            .containsEntry("condition", "service_healthy");
        assertThat(healthcheck(d.getKey())).as("healthcheck of %s", d.getKey()).isNotBlank();
      }
    }
    assertThat(dependencies).isGreaterThanOrEqualTo(2);
    assertThat(healthcheck("fetchd")).contains("/health/ready")
        .contains("127.0.0.1/" + ports("fetchd").get(0).container());
    assertThat(healthcheck("prometheus")).contains("/-/ready");
    services.forEach((name, s) -> {
      if (String.valueOf(map(s).get("image")).startsWith("postgres")) {
        assertThat(healthcheck(name)).contains("pg_isready");
      }
    });
  }

  /** The healthcheck's test as one string (CMD arguments joined), or "" without one. */
  String healthcheck(String name) {
    Object check = service(name).get("healthcheck");
    if (check == null) {
      return "";
    }
    Object test = map(check).get("test");
    return test instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList()) : String.valueOf(test);
  }

  static long bytes(String size) {
    Matcher m = Pattern.compile("(?i)(\\d+)\\s*([kmg]?)i?b?").matcher(size.trim());
    assertThat(m.matches()).as("size %s", size).isTrue();
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
      case "k" -> n << 10;
      case "m" -> n << 20;
      case "g" -> n << 30;
      default -> n;
    };
  }

  @Test
  void prometheusScrapesFetchdMetricsOnTheComposeNetwork() {
    Map<String, Object> prometheus = yaml("deploy/prometheus/prometheus.yml");
    assertThat(mountSources("prometheus")).containsEntry("/etc/prometheus/prometheus.yml",
        "./deploy/prometheus/prometheus.yml");
    assertThat(list(service("prometheus").get("command"))).contains("--config.file=/etc/prometheus/prometheus.yml");

    Map<String, Object> job = list(prometheus.get("scrape_configs")).stream().map(HelmChartTest::map)
        .filter(j -> "fetchd".equals(j.get("job_name"))).findFirst()
        .orElseThrow(() -> new AssertionError("no scrape job named fetchd"));
    assertThat(job).containsEntry("metrics_path", "/metrics");
    List<Object> targets = list(map(list(job.get("static_configs")).get(0)).get("targets"));
    int fetchdPort = ports("fetchd").get(0).container();
    assertThat(targets).containsExactly("fetchd:" + fetchdPort);
  }

  @Test
  void grafanaReadsPrometheusAndLoadsTheDashboard() {
    Map<String, String> mounts = mountSources("grafana");
    assertThat(mounts).containsEntry("/etc/grafana/provisioning", "./deploy/grafana/provisioning");
    mounts.values().stream().filter(src -> src.startsWith("./"))
        .forEach(src -> assertThat(ROOT.resolve(src)).as("bind-mounted %s", src).exists());

    Map<String, Object> ds = map(list(yaml("deploy/grafana/provisioning/datasources/prometheus.yml")
        .get("datasources")).get(0));
    assertThat(ds).containsEntry("type", "prometheus")
        .containsEntry("url", "http://prometheus:" + ports("prometheus").get(0).container());
    String scrapeInterval = (String) map(yaml("deploy/prometheus/prometheus.yml").get("global")).get("scrape_interval");
    assertThat(map(ds.get("jsonData"))).as("timeInterval = Prometheus scrape_interval")
        .containsEntry("timeInterval", scrapeInterval);

    Map<String, Object> provider = map(list(yaml("deploy/grafana/provisioning/dashboards/fetchd.yml")
        .get("providers")).get(0));
    String dashboardsIn = (String) map(provider.get("options")).get("path");
    assertThat(mounts).containsEntry(dashboardsIn, "./deploy/grafana/dashboards");
    String home = environment("grafana").get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
    assertThat(home).isEqualTo(dashboardsIn + "/fetchd.json");
  }

  @Test
  void everyDashboardQueryUsesMetricsFetchdExports() throws IOException {
    JsonObject dashboard = new JsonObject(Files.readString(ROOT.resolve("deploy/grafana/dashboards/fetchd.json")));
    assertThat(dashboard.getString("uid")).isEqualTo("fetchd");
    List<JsonObject> panels = new ArrayList<>();
    for (Object p : dashboard.getJsonArray("panels")) {
      panels.add((JsonObject) p);
    }
    List<JsonObject> graphs = panels.stream().filter(p -> !"row".equals(p.getString("type"))).toList();
    assertThat(graphs).isNotEmpty();

    Set<String> used = new java.util.TreeSet<>();
    for (JsonObject panel : graphs) {
      JsonArray targets = panel.getJsonArray("targets", new JsonArray());
      assertThat(targets).as("queries of panel %s", panel.getString("title")).isNotEmpty();
      for (Object t : targets) {
        String expr = ((JsonObject) t).getString("expr");
        Set<String> names = FetchdInterface.metricNames(expr);
        assertThat(names).as("metrics in %s", expr).isNotEmpty().allMatch(FetchdInterface::isKnownMetric);
        used.addAll(names);
      }
    }
    // The panels the issue asks for: queue vs capacity, permits vs limit, waiters, jobs by state, fetch
    // rate and latency by outcome, bytes, event-loop lag, worker pool.
    assertThat(used).contains("fetchd_queue_depth", "fetchd_queue_capacity", "fetchd_fetch_permits_in_use",
        "fetchd_fetch_permits_limit", "fetchd_fetch_waiters", "fetchd_host_permits_waiters", "fetchd_jobs",
        "fetchd_fetch_duration_seconds_count", "fetchd_fetch_duration_seconds_bucket", "fetchd_fetch_bytes_total",
        "fetchd_event_loop_lag_seconds", "vertx_pool_in_use", "fetchd_store_write_failures_total");
    String all = dashboard.encode();
    assertThat(all).contains("histogram_quantile(0.95, sum by (le, outcome)");
  }

  @Test
  void metricNameExtractionIgnoresLabelsFunctionsAndVariables() {
    assertThat(FetchdInterface.metricNames(
        "histogram_quantile(0.99, sum by (le, outcome) (rate(fetchd_fetch_duration_seconds_bucket{instance=~\"$instance\"}[$__rate_interval])))"))
        .containsExactly("fetchd_fetch_duration_seconds_bucket");
    assertThat(FetchdInterface.metricNames("fetchd_queue_depth / on (instance) fetchd_queue_capacity > 0.9"))
        .containsExactly("fetchd_queue_capacity", "fetchd_queue_depth");
    assertThat(FetchdInterface.isKnownMetric("fetchd_queue_lenght")).isFalse();
    assertThat(FetchdInterface.isKnownMetric("vertx_pool_ratio")).isTrue();
    assertThat(FetchdInterface.isKnownMetric("http_requests_total")).isFalse();
  }

  // ---- parsing ----------------------------------------------------------------------------------------

  record Port(int host, int container) {}

  private static final Pattern PORT = Pattern.compile("^(?:[\\d.]+:)?(\\d+):(\\d+)(?:/tcp)?$");

  List<Port> ports(String name) {
    List<Port> ports = new ArrayList<>();
    for (Object p : Optional.ofNullable(service(name).get("ports")).map(HelmChartTest::list).orElse(List.of())) {
      Matcher m = PORT.matcher(String.valueOf(p));
      assertThat(m.matches()).as("port %s of %s: use [ip:]host:container", p, name).isTrue();
      ports.add(new Port(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
    }
    return ports;
  }

  Map<String, Object> service(String name) {
    assertThat(services).containsKey(name);
    return map(services.get(name));
  }

  Map<String, String> environment(String name) {
    Object env = service(name).get("environment");
    Map<String, String> result = new HashMap<>();
    if (env instanceof Map<?, ?> m) {
      m.forEach((k, v) -> result.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
    } else if (env instanceof List<?> l) {
      for (Object e : l) {
        String[] kv = String.valueOf(e).split("=", 2);
        result.put(kv[0], kv.length > 1 ? kv[1] : "");
      }
    }
    return result;
  }

  /** Mount target -> source, for "source:target[:mode]" volume entries. */
  Map<String, String> mountSources(String name) {
    Map<String, String> mounts = new HashMap<>();
    for (Object v : Optional.ofNullable(service(name).get("volumes")).map(HelmChartTest::list).orElse(List.of())) {
      String[] parts = String.valueOf(v).split(":");
      assertThat(parts.length).as("volume %s of %s", v, name).isGreaterThanOrEqualTo(2);
      mounts.put(parts[1], parts[0]);
    }
    return mounts;
  }

  Set<String> volumeTargets(String name) {
    return mountSources(name).keySet();
  }

  static Map<String, Object> yaml(String relative) {
    Path file = ROOT.resolve(relative);
    assertThat(file).as("%s (tests run from the project root)", relative).exists();
    try {
      return map(new Yaml().load(Files.readString(file)));
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }
}
