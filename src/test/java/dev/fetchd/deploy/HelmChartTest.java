package dev.fetchd.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/**
 * Lints helm/fetchd and renders it with Helm itself (helm-java runs Helm's library in-process, no
 * cluster and no network), then checks what a broken chart would get wrong: probes, ports, settings,
 * security, scraping, shutdown timing and the one-replica rule of the in-memory store.
 */
class HelmChartTest {
  static final Path CHART = Path.of("helm", "fetchd").toAbsolutePath();
  static final Path ALL_ON = CHART.resolve("ci").resolve("all-on-values.yaml");
  static final String NAMESPACE = "crawling";

  static Rendering defaults;
  static Rendering allOn;
  static Rendering existingSecrets;

  @BeforeAll
  static void render() {
    assertThat(Files.isDirectory(CHART)).as("%s (tests run from the project root)", CHART).isTrue();
    defaults = Rendering.of("default values", t -> t);
    allOn = Rendering.of("ci/all-on-values.yaml", t -> t.withValuesFile(ALL_ON));
    existingSecrets = Rendering.of("existing secrets and claim", t -> t
        .set("store", "postgres")
        .set("postgres.existingSecret", "fetchd-db")
        .set("postgres.existingSecretKey", "url")
        .set("auth.existingSecret", "fetchd-tokens")
        .set("persistence.existingClaim", "shared-fetchd-data"));
  }

  static Stream<Rendering> renderings() {
    return Stream.of(defaults, allOn, existingSecrets);
  }

  @Test
  void chartPassesStrictLint() {
    LintResult result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
  }

  @Test
  void allOnValuesTurnEveryOptionalResourceOn() {
    assertThat(allOn.kinds()).contains("Deployment", "Service", "ConfigMap", "Secret", "PersistentVolumeClaim",
        "ServiceAccount", "ServiceMonitor", "PrometheusRule", "HorizontalPodAutoscaler", "PodDisruptionBudget",
        "Ingress");
    assertThat(defaults.kinds()).contains("Deployment", "Service", "ConfigMap", "PersistentVolumeClaim")
        .doesNotContain("Secret", "ServiceMonitor", "PrometheusRule", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            "Ingress");
  }

  @Test
  void prometheusRuleCarriesTheAlertsOfDeployPrometheusRules() {
    Doc rule = allOn.one("PrometheusRule");
    assertThat(rule.at("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
    assertThat(map(rule.at("metadata", "labels"))).containsEntry("release", "kube-prometheus-stack");
    Map<String, Object> deployRules = ComposeConfigTest.yaml("deploy/prometheus/rules/fetchd.yml");
    assertThat(map(rule.at("spec"))).isEqualTo(deployRules);
    assertThat(PrometheusRulesTest.rules(map(rule.at("spec")))).isNotEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderings")
  void probesHitTheHealthEndpointsOnTheHttpPort(Rendering r) {
    Map<String, Object> c = r.container();
    assertThat(probe(c, "livenessProbe")).containsEntry("path", "/health/live");
    assertThat(probe(c, "readinessProbe")).containsEntry("path", "/health/ready");
    assertThat(probe(c, "startupProbe")).containsEntry("path", "/health/live");
    for (String p : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
      Object port = probe(c, p).get("port");
      assertThat(port).as("%s port", p).isIn("http", r.containerPort());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderings")
  void serviceSendsTrafficToTheContainerPortFetchdListensOn(Rendering r) {
    Map<String, Object> servicePort = first(list(r.one("Service").at("spec", "ports")));
    Object target = servicePort.get("targetPort");
    int resolved = target instanceof String name ? r.containerPortNamed(name) : (Integer) target;
    assertThat(resolved).isEqualTo(r.containerPort());
    assertThat(r.configMap()).containsEntry("FETCHD_HTTP_PORT", String.valueOf(r.containerPort()));

    Map<String, Object> podLabels = map(r.deployment().at("spec", "template", "metadata", "labels"));
    assertThat(podLabels).containsAllEntriesOf(map(r.one("Service").at("spec", "selector")));
    assertThat(podLabels).containsAllEntriesOf(map(r.deployment().at("spec", "selector", "matchLabels")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderings")
  void everySettingGivenToFetchdIsOneItReads(Rendering r) {
    Map<String, Object> data = r.configMap();
    assertThat(data.keySet()).isSubsetOf(FetchdInterface.CONFIG_ENV);
    // Whole numbers must not reach fetchd as 1.073741824e+10: Helm reads YAML numbers as float64.
    assertThat(data.values()).allSatisfy(v -> assertThat(v).isInstanceOf(String.class)
        .asString().doesNotContainPattern("^-?[0-9.]+[eE][+-]?[0-9]+$"));
    assertThat(data).containsKeys("FETCHD_DATA_DIR", "FETCHD_STORE", "FETCHD_SHUTDOWN_GRACE_MS");
    assertThat(data.get("FETCHD_DATA_DIR")).isEqualTo(r.mountPathOf("data"));

    List<String> env = r.env().stream()
        .map(e -> (String) map(e).get("name")).toList();
    assertThat(env.stream().filter(n -> n.startsWith("FETCHD_"))).allMatch(FetchdInterface.ALL_ENV::contains);
    r.maybeOne("Secret").ifPresent(s -> assertThat(map(s.at("data")).keySet())
        .isSubsetOf(FetchdInterface.SECRET_ENV));
  }

  @Test
  void allOnValuesReachTheConfigMapAsFetchdSpellsThem() {
    assertThat(allOn.configMap())
        .containsEntry("FETCHD_LIMITS_MAX_BYTES", "10737418240")
        .containsEntry("FETCHD_JOBS_RETENTION_MS", "172800000")
        .containsEntry("FETCHD_LIMITS_PER_HOST_CONCURRENCY", "2")
        .containsEntry("FETCHD_ALLOW_NETWORKS", "10.20.0.0/16,192.168.7.0/24")
        .containsEntry("FETCHD_FETCH_USER_AGENT", "fetchd/0.1 (+https://example.com/bot)")
        .containsEntry("FETCHD_DATA_DIR", "/var/lib/fetchd")
        .containsEntry("FETCHD_STORE", "postgres")
        .doesNotContainKey("FETCHD_PG_URL");
    assertThat(map(allOn.one("Secret").at("data")).keySet())
        .containsExactlyInAnyOrder("FETCHD_API_TOKENS", "FETCHD_ADMIN_TOKENS", "FETCHD_PG_URL");
  }

  @Test
  void existingSecretsAreReferencedAndNoSecretIsCreated() {
    assertThat(existingSecrets.kinds()).doesNotContain("Secret", "PersistentVolumeClaim");
    assertThat(existingSecrets.secretRef("FETCHD_API_TOKENS")).containsEntry("name", "fetchd-tokens");
    assertThat(existingSecrets.secretRef("FETCHD_PG_URL"))
        .containsEntry("name", "fetchd-db").containsEntry("key", "url");
    assertThat(map(existingSecrets.volume("data").get("persistentVolumeClaim")))
        .containsEntry("claimName", "shared-fetchd-data");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderings")
  void podRunsAsNonRootOnAReadOnlyRootWithOnlyDataAndTmpWritable(Rendering r) {
    Map<String, Object> pod = map(r.deployment().at("spec", "template", "spec", "securityContext"));
    Map<String, Object> sc = map(r.container().get("securityContext"));
    assertThat(pod).containsEntry("runAsNonRoot", true);
    assertThat(sc).containsEntry("runAsNonRoot", true)
        .containsEntry("readOnlyRootFilesystem", true)
        .containsEntry("allowPrivilegeEscalation", false);
    assertThat(list(map(sc.get("capabilities")).get("drop"))).contains("ALL");
    assertThat(r.deployment().at("spec", "template", "spec", "automountServiceAccountToken")).isEqualTo(false);

    assertThat(r.mountPathOf("tmp")).isEqualTo("/tmp");
    assertThat(r.volume("tmp")).containsKey("emptyDir");
    assertThat(r.volume("data").keySet()).containsAnyOf("persistentVolumeClaim", "emptyDir");
    for (Object m : list(r.container().get("volumeMounts"))) {
      assertThat(map(m).get("readOnly")).as("mount %s", map(m).get("name")).isNotEqualTo(true);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("renderings")
  void kubernetesWaitsLongerThanFetchdsOwnShutdownGrace(Rendering r) {
    long graceMs = Long.parseLong((String) r.configMap().get("FETCHD_SHUTDOWN_GRACE_MS"));
    long preStop = r.preStopSleepSeconds();
    Object tgps = r.deployment().at("spec", "template", "spec", "terminationGracePeriodSeconds");
    assertThat(((Number) tgps).longValue()).isGreaterThan(graceMs / 1000 + preStop);
  }

  @Test
  void serviceMonitorSelectsTheServiceAndScrapesMetrics() {
    Map<String, Object> service = allOn.one("Service").doc();
    Map<String, Object> monitor = allOn.one("ServiceMonitor").doc();
    Map<String, Object> serviceLabels = map(map(service.get("metadata")).get("labels"));
    Map<String, Object> spec = map(monitor.get("spec"));

    assertThat(serviceLabels).containsAllEntriesOf(map(map(spec.get("selector")).get("matchLabels")));
    assertThat(list(map(spec.get("namespaceSelector")).get("matchNames"))).containsExactly(NAMESPACE);
    Map<String, Object> endpoint = first(list(spec.get("endpoints")));
    Map<String, Object> servicePort = first(list(map(service.get("spec")).get("ports")));
    assertThat(endpoint).containsEntry("path", "/metrics").containsEntry("port", servicePort.get("name"));
    assertThat(map(map(monitor.get("metadata")).get("labels"))).containsEntry("release", "kube-prometheus-stack");
  }

  @Test
  void scrapeAnnotationsPointAtTheMetricsEndpoint() {
    for (Rendering r : List.of(defaults, allOn)) {
      Map<String, Object> annotations = map(r.deployment().at("spec", "template", "metadata", "annotations"));
      assertThat(annotations).containsEntry("prometheus.io/scrape", "true")
          .containsEntry("prometheus.io/path", "/metrics")
          .containsEntry("prometheus.io/port", String.valueOf(r.containerPort()));
    }
  }

  @Test
  void memoryStoreRunsExactlyOneReplicaReplacedWholesale() {
    assertThat(defaults.configMap()).containsEntry("FETCHD_STORE", "memory");
    assertThat(defaults.deployment().at("spec", "replicas")).isEqualTo(1);
    assertThat(defaults.deployment().at("spec", "strategy", "type")).isEqualTo("Recreate");
    assertThat(defaults.kinds()).doesNotContain("HorizontalPodAutoscaler");
  }

  @Test
  void memoryStoreRefusesMoreReplicasWithAReason() {
    assertThatThrownBy(() -> render(t -> t.set("replicaCount", 3)))
        .hasMessageContaining("store=memory")
        .hasMessageContaining("exactly one replica")
        .hasMessageContaining("store=postgres");
    assertThatThrownBy(() -> render(t -> t.set("autoscaling.enabled", true)))
        .hasMessageContaining("autoscaling.enabled needs store=postgres");
  }

  @Test
  void postgresStoreAllowsScalingOnASharedVolume() {
    Map<String, Object> hpa = allOn.one("HorizontalPodAutoscaler").doc();
    assertThat(map(map(hpa.get("spec")).get("scaleTargetRef")))
        .containsEntry("kind", "Deployment")
        .containsEntry("name", allOn.deployment().at("metadata", "name"));
    // The HPA owns the replica count; a fixed one would fight it on every upgrade.
    assertThat(map(allOn.deployment().at("spec"))).doesNotContainKey("replicas");
    assertThat(list(allOn.one("PersistentVolumeClaim").at("spec", "accessModes"))).contains("ReadWriteMany");

    Rendering fixed = Rendering.of("postgres, 3 replicas", t -> t.withValuesFile(ALL_ON)
        .set("autoscaling.enabled", false).set("replicaCount", 3));
    assertThat(fixed.deployment().at("spec", "replicas")).isEqualTo(3);
    assertThat(fixed.deployment().at("spec", "strategy", "type")).isEqualTo("RollingUpdate");

    assertThatThrownBy(() -> render(t -> t.set("store", "postgres").set("postgres.url", "postgresql://db/fetchd")))
        .hasMessageContaining("ReadWriteMany");
  }

  @Test
  void misspelledSettingsAreRejectedBeforeReachingFetchd() {
    assertThatThrownBy(() -> render(t -> t.set("config.queue.capasity", 10)))
        .hasMessageContaining("capasity");
    assertThatThrownBy(() -> render(t -> t.set("config.http.port", 9000)))
        .hasMessageContaining("port");
  }

  @Test
  void misspelledTopLevelKeysAreRejectedAndEveryKeyOfValuesYamlIsDeclared() throws Exception {
    assertThatThrownBy(() -> render(t -> t.set("resorces.limits.memory", "2Gi")))
        .hasMessageContaining("resorces");
    assertThatThrownBy(() -> render(t -> t.set("ingres.enabled", true)))
        .hasMessageContaining("ingres");
    assertThatThrownBy(() -> render(t -> t.set("resources.limits.memroy", "2Gi")))
        .hasMessageContaining("memroy");
    Map<String, Object> schema = map(new Yaml().load(Files.readString(CHART.resolve("values.schema.json"))));
    assertThat(schema).containsEntry("additionalProperties", false);
    Map<String, Object> values = map(new Yaml().load(Files.readString(CHART.resolve("values.yaml"))));
    assertThat(map(schema.get("properties")).keySet()).containsAll(values.keySet());
  }

  @Test
  void metricsPublicReachesFetchd() {
    assertThat(Rendering.of("metricsPublic=false", t -> t.set("config.metricsPublic", false)).configMap())
        .containsEntry("FETCHD_METRICS_PUBLIC", "false");
    assertThat(Rendering.of("metricsPublic=true", t -> t.set("config.metricsPublic", "true")).configMap())
        .containsEntry("FETCHD_METRICS_PUBLIC", "true");
  }

  @Test
  void serviceMonitorAuthenticatesWithATokenFromASecretWhenMetricsArePrivate() {
    Map<String, Object> endpoint = first(list(allOn.one("ServiceMonitor").at("spec", "endpoints")));
    assertThat(map(endpoint.get("authorization"))).containsEntry("type", "Bearer");
    assertThat(map(map(endpoint.get("authorization")).get("credentials")))
        .containsEntry("name", "fetchd-scrape").containsEntry("key", "token");
    // tokens and auto: Prometheus would only get 401 without credentials
    assertThatThrownBy(() -> render(t -> t.set("metrics.serviceMonitor.enabled", true)
        .set("auth.apiTokens[0]", "a-token-of-16-chars-or-more")))
        .hasMessageContaining("metrics.serviceMonitor.authorization.secretName");
    assertThatThrownBy(() -> render(t -> t.set("metrics.serviceMonitor.enabled", true)
        .set("config.metricsPublic", false)))
        .hasMessageContaining("401");
    // public metrics need nothing
    Rendering open = Rendering.of("public metrics", t -> t.set("metrics.serviceMonitor.enabled", true)
        .set("auth.apiTokens[0]", "a-token-of-16-chars-or-more").set("config.metricsPublic", true));
    Map<String, Object> openEndpoint = first(list(open.one("ServiceMonitor").at("spec", "endpoints")));
    assertThat(openEndpoint).doesNotContainKey("authorization");
  }

  @Test
  void thePostgresPasswordComesFromASecretBesideTheUrl() {
    assertThat(allOn.secretRef("FETCHD_PG_PASSWORD")).containsEntry("name", "fetchd-db").containsEntry("key", "password");
    assertThat(allOn.secretRef("FETCHD_PG_URL")).containsEntry("key", "FETCHD_PG_URL");
    assertThat(FetchdInterface.CONFIG_ENV).as("fetchd reads it").contains("FETCHD_PG_PASSWORD");
    assertThat(defaults.env()).noneMatch(e -> "FETCHD_PG_PASSWORD".equals(map(e).get("name")));
  }

  @Test
  void aGracePeriodShorterThanFetchdsOwnIsRefused() {
    assertThatThrownBy(() -> render(t -> t.set("terminationGracePeriodSeconds", 30)))
        .hasMessageContaining("terminationGracePeriodSeconds");
  }

  @Test
  void installNotesSayHowToReachTheService() {
    String local = new Helm(CHART).install().withName("fetchd").withNamespace(NAMESPACE).clientOnly().dryRun()
        .call().getOutput();
    assertThat(local).contains("kubectl -n " + NAMESPACE + " port-forward svc/fetchd 8080:8080")
        .contains("curl -s http://localhost:8080/health/ready")
        .contains("one replica");
    String ingress = new Helm(CHART).install().withName("fetchd").withNamespace(NAMESPACE).clientOnly().dryRun()
        .withValuesFile(ALL_ON).call().getOutput();
    assertThat(ingress).contains("https://fetchd.example.com/jobs").contains("Kubernetes waits 60 s");
  }

  // ---- rendering and navigation ---------------------------------------------------------------------

  static Map<String, Object> probe(Map<String, Object> container, String probe) {
    assertThat(container).as("container has a %s", probe).containsKey(probe);
    return map(map(container.get(probe)).get("httpGet"));
  }

  static String render(UnaryOperator<TemplateCommand> values) {
    return values.apply(new Helm(CHART).template().withName("fetchd").withNamespace(NAMESPACE)).call();
  }

  record Doc(Map<String, Object> doc) {
    Object at(String... path) {
      Object node = doc;
      for (String key : path) {
        node = node == null ? null : map(node).get(key);
      }
      return node;
    }
  }

  record Rendering(String name, List<Doc> docs) {
    static Rendering of(String name, UnaryOperator<TemplateCommand> values) {
      List<Doc> docs = new ArrayList<>();
      for (Object o : new Yaml().loadAll(render(values))) {
        if (o != null) {
          docs.add(new Doc(map(o)));
        }
      }
      return new Rendering(name, docs);
    }

    List<String> kinds() {
      return docs.stream().map(d -> (String) d.doc().get("kind")).toList();
    }

    java.util.Optional<Doc> maybeOne(String kind) {
      List<Doc> found = docs.stream().filter(d -> kind.equals(d.doc().get("kind"))).toList();
      assertThat(found).as("%s objects in %s", kind, name).hasSizeLessThanOrEqualTo(1);
      return found.stream().findFirst();
    }

    Doc one(String kind) {
      return maybeOne(kind).orElseThrow(() -> new AssertionError("no " + kind + " rendered for " + name));
    }

    Doc deployment() {
      return one("Deployment");
    }

    Map<String, Object> configMap() {
      return map(one("ConfigMap").at("data"));
    }

    List<Object> env() {
      Object env = container().get("env");
      return env == null ? List.of() : list(env);
    }

    Map<String, Object> container() {
      return list(deployment().at("spec", "template", "spec", "containers")).stream()
          .map(HelmChartTest::map).filter(c -> "fetchd".equals(c.get("name"))).findFirst()
          .orElseThrow(() -> new AssertionError("no container named fetchd in " + name));
    }

    int containerPort() {
      return containerPortNamed("http");
    }

    int containerPortNamed(String portName) {
      return list(container().get("ports")).stream().map(HelmChartTest::map)
          .filter(p -> portName.equals(p.get("name"))).map(p -> (Integer) p.get("containerPort")).findFirst()
          .orElseThrow(() -> new AssertionError("no container port named " + portName + " in " + name));
    }

    String mountPathOf(String volume) {
      return list(container().get("volumeMounts")).stream().map(HelmChartTest::map)
          .filter(m -> volume.equals(m.get("name"))).map(m -> (String) m.get("mountPath")).findFirst()
          .orElseThrow(() -> new AssertionError("volume " + volume + " not mounted in " + name));
    }

    Map<String, Object> volume(String volume) {
      return list(deployment().at("spec", "template", "spec", "volumes")).stream().map(HelmChartTest::map)
          .filter(v -> volume.equals(v.get("name"))).findFirst()
          .orElseThrow(() -> new AssertionError("no volume " + volume + " in " + name));
    }

    Map<String, Object> secretRef(String env) {
      return env().stream().map(HelmChartTest::map)
          .filter(e -> env.equals(e.get("name")))
          .map(e -> map(map(e.get("valueFrom")).get("secretKeyRef"))).findFirst()
          .orElseThrow(() -> new AssertionError("no env " + env + " from a secret in " + name));
    }

    long preStopSleepSeconds() {
      Object command = new Doc(container()).at("lifecycle", "preStop", "exec", "command");
      if (command == null) {
        return 0;
      }
      List<Object> argv = list(command);
      assertThat(argv.get(0)).isEqualTo("sleep");
      return Long.parseLong(String.valueOf(argv.get(1)));
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    assertThat(o).as("expected a mapping").isInstanceOf(Map.class);
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    assertThat(o).as("expected a list").isInstanceOf(List.class);
    return (List<Object>) o;
  }

  @SuppressWarnings("unchecked")
  static <T> T first(List<?> l) {
    assertThat(l).isNotEmpty();
    return (T) l.get(0);
  }
}
