package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.config.ConfigLoader;
import dev.fetchd.config.FetchdConfig;
import io.vertx.pgclient.PgConnectOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FETCHD_PG_PASSWORD: the password of the database user kept apart from FETCHD_PG_URL (a Kubernetes Secret),
 * and used to connect. (The test database trusts loopback, so a wrong password would not fail a real login;
 * the connect options are what the pool is built from.)
 */
class PgPasswordTest {

  @Test
  void thePasswordIsReadFromItsOwnVariableAndStaysOutOfTheConfigsText() {
    FetchdConfig config = ConfigLoader.load(null, Map.of("FETCHD_STORE", "postgres",
        "FETCHD_PG_URL", "postgresql://fetchd@db.example:5432/fetchd", "FETCHD_PG_PASSWORD", "s3cret-from-a-secret"));
    assertThat(config.pgPassword()).isEqualTo("s3cret-from-a-secret");
    assertThat(config.toString()).doesNotContain("s3cret");
    assertThat(ConfigLoader.load(null, Map.of()).pgPassword()).isEmpty();
  }

  @Test
  void theConnectionUsesThePasswordAndTheRestOfTheUrl() {
    PgConnectOptions o = PgJobStore.connectOptions("postgresql://fetchd@db.example:5433/jobs", "s1", "s3cret");
    assertThat(o.getPassword()).isEqualTo("s3cret");
    assertThat(o.getUser()).isEqualTo("fetchd");
    assertThat(o.getHost()).isEqualTo("db.example");
    assertThat(o.getPort()).isEqualTo(5433);
    assertThat(o.getDatabase()).isEqualTo("jobs");
    assertThat(PgJobStore.connectOptions("postgresql://fetchd:in-url@db/jobs", null, "s3cret").getPassword())
        .as("the separate password wins").isEqualTo("s3cret");
    assertThat(PgJobStore.connectOptions("postgresql://fetchd:in-url@db/jobs", null, "").getPassword())
        .as("none given: the URL's").isEqualTo("in-url");
  }
}
