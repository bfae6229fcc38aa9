package dev.fetchd.store;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The PostgreSQL the store tests run against: {@code FETCHD_TEST_PG_URL} when set (.ci/run sets it),
 * else a throw-away postgres:16 container when a Docker engine runs, else the test is skipped with a
 * message saying how to run it. Each test class works in a schema of its own, dropped and made afresh.
 */
public final class PgTestDatabase {
  static final String ENV = "FETCHD_TEST_PG_URL";
  private static String url;
  private static GenericContainer<?> container;

  private PgTestDatabase() {
  }

  public static synchronized String url() {
    if (url != null) {
      return url;
    }
    String env = System.getenv(ENV);
    if (env != null && !env.isBlank()) {
      url = env;
      return url;
    }
    boolean docker;
    try {
      docker = DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException e) {
      docker = false;
    }
    Assumptions.assumeTrue(docker, "PostgreSQL tests skipped: set " + ENV
        + " (e.g. postgresql://postgres@127.0.0.1:5432/test) or run a Docker engine for Testcontainers");
    GenericContainer<?> c = new GenericContainer<>("postgres:16")
        .withEnv("POSTGRES_HOST_AUTH_METHOD", "trust")
        .withEnv("POSTGRES_DB", "test")
        .withExposedPorts(5432)
        .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*", 2)
            .withStartupTimeout(Duration.ofSeconds(90)));
    c.start();
    container = c;
    url = "postgresql://postgres@" + c.getHost() + ":" + c.getMappedPort(5432) + "/test";
    return url;
  }

  /** Drops {@code schema} with everything in it, so that a run starts from nothing. */
  public static void dropSchema(Vertx vertx, String schema) {
    PgConnection conn = PgConnection.connect(vertx, PgConnectOptions.fromUri(url())
        .addProperty("client_min_messages", "warning")).await();
    try {
      conn.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute().await();
    } finally {
      conn.close().await();
    }
  }

  /** A migrated store in a fresh {@code schema}. */
  static PgJobStore freshStore(Vertx vertx, String schema, int poolSize) {
    dropSchema(vertx, schema);
    PgJobStore store = PgJobStore.create(vertx, url(), poolSize, schema);
    store.init().await();
    return store;
  }

  /** Runs SQL in {@code schema} on a connection of its own (test set-up and inspection). */
  public static io.vertx.sqlclient.RowSet<io.vertx.sqlclient.Row> sql(Vertx vertx, String schema, String sql) {
    PgConnection conn = PgConnection.connect(vertx, PgConnectOptions.fromUri(url()).addProperty("search_path", schema))
        .await();
    try {
      return conn.query(sql).execute().await();
    } finally {
      conn.close().await();
    }
  }

  /** The number in the first column of the first row of {@code query}, run in {@code schema}. */
  public static long number(Vertx vertx, String schema, String query) {
    return ((Number) sql(vertx, schema, query).iterator().next().getValue(0)).longValue();
  }
}
