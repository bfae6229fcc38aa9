package dev.fetchd.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  @Test
  void defaultsGiveAUsefulServiceOnPort8080WithADataFolderBesideIt() {
    FetchdConfig c = ConfigLoader.load(null, Map.of());
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.dataDir()).isEqualTo(Path.of("./data"));
    assertThat(c.store()).isEqualTo("memory");
    assertThat(c.allowPrivateNetworks()).isFalse();
    assertThat(c.queueCapacity()).isPositive();
  }

  @Test
  void yamlOverridesDefaultsAndEnvironmentOverridesYaml(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("fetchd.yaml");
    Files.writeString(file, """
        http:
          port: 9000
        queue:
          capacity: 50
        fetch.maxConcurrency: 64
        limits:
          retries: 5
        """);
    FetchdConfig c = ConfigLoader.load(file, Map.of("FETCHD_QUEUE_CAPACITY", "70", "FETCHD_PORT", "tcp://10.0.0.1:8080"));
    assertThat(c.httpPort()).isEqualTo(9000);
    assertThat(c.queueCapacity()).as("env beats the file").isEqualTo(70);
    assertThat(c.fetchMaxConcurrency()).isEqualTo(64);
    assertThat(c.defaultLimits().retries()).isEqualTo(5);
  }

  @Test
  void theConfigFileCanComeFromFetchdConfig(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(file, "maxRunningJobs: 9\n");
    assertThat(ConfigLoader.load(null, Map.of("FETCHD_CONFIG", file.toString())).maxRunningJobs()).isEqualTo(9);
  }

  @Test
  void environmentNamesFollowTheDottedKeys() {
    assertThat(FetchdConfig.SETTINGS).anySatisfy(s -> assertThat(s.envName()).isEqualTo("FETCHD_FETCH_MAX_CONCURRENCY"));
    assertThat(FetchdConfig.SETTINGS).anySatisfy(s -> assertThat(s.envName()).isEqualTo("FETCHD_MAX_RUNNING_JOBS"));
    assertThat(FetchdConfig.SETTINGS).anySatisfy(s -> assertThat(s.envName()).isEqualTo("FETCHD_ALLOW_PRIVATE_NETWORKS"));
    assertThat(FetchdConfig.SETTINGS).anySatisfy(s -> assertThat(s.envName()).isEqualTo("FETCHD_HTTP_PORT"));
    assertThat(FetchdConfig.SETTINGS).anySatisfy(s -> assertThat(s.envName()).isEqualTo("FETCHD_DATA_DIR"));
  }

  @Test
  void badValuesStopStartUpNamingTheKey(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_QUEUE_CAPACITY", "lots")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("FETCHD_QUEUE_CAPACITY");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_FETCH_MAX_CONCURRENCY", "0")))
        .hasMessageContaining("fetch.maxConcurrency");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_ALLOW_PRIVATE_NETWORKS", "yes please")))
        .hasMessageContaining("FETCHD_ALLOW_PRIVATE_NETWORKS");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_STORE", "postgres")))
        .hasMessageContaining("FETCHD_PG_URL");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_ALLOW_NETWORKS", "10.0.0.0")))
        .hasMessageContaining("FETCHD_ALLOW_NETWORKS");
    Path typo = dir.resolve("typo.yaml");
    Files.writeString(typo, "queue:\n  capacty: 5\n");
    assertThatThrownBy(() -> ConfigLoader.load(typo, Map.of())).hasMessageContaining("queue.capacty");
    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "http: [port\n");
    assertThatThrownBy(() -> ConfigLoader.load(broken, Map.of())).hasMessageContaining("broken.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml"), Map.of())).hasMessageContaining("missing.yaml");
  }

  @Test
  void theSecretsKeyIsBase64Of32BytesAndABadOneIsNamedButNotShown() {
    String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    assertThat(ConfigLoader.load(null, Map.of("FETCHD_SECRETS_KEY", key)).secretsKeyBytes()).hasSize(32);
    assertThat(ConfigLoader.load(null, Map.of()).secretsKeyBytes()).isNull();
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_SECRETS_KEY", "c2hvcnQta2V5")))
        .hasMessageContaining("FETCHD_SECRETS_KEY").hasMessageContaining("32").hasMessageNotContaining("c2hvcnQta2V5");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_SECRETS_KEY", "not base64!")))
        .hasMessageContaining("FETCHD_SECRETS_KEY").hasMessageNotContaining("not base64!");
    assertThat(ConfigLoader.load(null, Map.of("FETCHD_SECRETS_KEY", key)).toString()).doesNotContain(key);
  }

  @Test
  void withPostgresTheSweepGraceMustOutlastTheClaimLease() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("FETCHD_STORE", "postgres",
        "FETCHD_PG_URL", "postgresql://localhost/x", "FETCHD_LEASE_MS", "30000", "FETCHD_FILES_SWEEP_GRACE_MS", "20000")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("FETCHD_FILES_SWEEP_GRACE_MS").hasMessageContaining("32000");
    assertThat(ConfigLoader.load(null, Map.of("FETCHD_STORE", "postgres", "FETCHD_PG_URL", "postgresql://localhost/x",
        "FETCHD_LEASE_MS", "30000", "FETCHD_FILES_SWEEP_GRACE_MS", "32000")).filesSweepGraceMs()).isEqualTo(32000);
    // alone, only the next checkpoint matters
    assertThat(ConfigLoader.load(null, Map.of("FETCHD_FILES_SWEEP_GRACE_MS", "1000")).filesSweepGraceMs()).isEqualTo(1000);
  }
}
