package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Schema creation and migration at start: versioned, once, whatever the number of replicas starting. */
class PgSchemaTest {
  static final String SCHEMA = "fetchd_test_schema";
  static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    PgTestDatabase.url();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void replicasStartingAtOnceMigrateTheSchemaExactlyOnce() {
    PgTestDatabase.dropSchema(vertx, SCHEMA);
    List<PgJobStore> replicas = new ArrayList<>();
    List<Future<Void>> inits = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      PgJobStore s = PgJobStore.create(vertx, PgTestDatabase.url(), 2, SCHEMA);
      replicas.add(s);
      inits.add(s.init());
    }
    try {
      Future.all(inits).await();
      int latest = PgSchema.load().get(PgSchema.load().size() - 1).version();
      assertThat(replicas.get(0).schemaVersion().await()).isEqualTo(latest);
      var rows = PgTestDatabase.sql(vertx, SCHEMA, "SELECT version, count(*) AS n FROM fetchd_schema_version GROUP BY version");
      assertThat(rows.size()).isEqualTo(PgSchema.MIGRATIONS.size());
      rows.forEach(r -> assertThat(r.getLong("n")).isEqualTo(1));
      // and a later start finds nothing to do
      replicas.get(0).init().await();
      assertThat(PgTestDatabase.sql(vertx, SCHEMA, "SELECT count(*) AS n FROM fetchd_schema_version").iterator().next()
          .getLong("n")).isEqualTo(PgSchema.MIGRATIONS.size());
    } finally {
      replicas.forEach(s -> s.close().await());
    }
  }

  @Test
  void migrationsAreNumberedInOrderAndAllOnTheClasspath() {
    List<PgSchema.Migration> ms = PgSchema.load();
    for (int i = 0; i < ms.size(); i++) {
      assertThat(ms.get(i).version()).isEqualTo(i + 1);
      assertThat(ms.get(i).sql()).isNotBlank();
    }
  }

  /** Two changes each added a script; the one with the higher number ran first on some database: the other runs too. */
  @Test
  void aScriptNumberedBelowOneAlreadyAppliedStillRuns() {
    PgTestDatabase.dropSchema(vertx, SCHEMA);
    PgJobStore store = PgJobStore.create(vertx, PgTestDatabase.url(), 2, SCHEMA);
    try {
      store.init().await();
      // as if V6 had not been merged when V7 ran: its objects and its record gone
      PgTestDatabase.sql(vertx, SCHEMA, "DROP TABLE fetchd_blobs");
      PgTestDatabase.sql(vertx, SCHEMA, "DROP TRIGGER fetchd_items_blob_refs_insert ON fetchd_items;"
          + " DROP TRIGGER fetchd_items_blob_refs_update ON fetchd_items;"
          + " DROP TRIGGER fetchd_items_blob_refs_delete ON fetchd_items;"
          + " DROP FUNCTION fetchd_blob_refs(); DROP FUNCTION fetchd_blob_delta(text[], bigint[], bigint[])");
      PgTestDatabase.sql(vertx, SCHEMA, "DELETE FROM fetchd_schema_version WHERE version = 6");
      store.init().await();
      assertThat(PgTestDatabase.sql(vertx, SCHEMA, "SELECT count(*) AS n FROM fetchd_schema_version WHERE version = 6")
          .iterator().next().getLong("n")).isEqualTo(1);
      assertThat(PgTestDatabase.sql(vertx, SCHEMA, "SELECT count(*) AS n FROM fetchd_blobs").iterator().next()
          .getLong("n")).isZero();
    } finally {
      store.close().await();
    }
  }

  @Test
  void aSchemaNameMustBeAPlainIdentifier() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> PgJobStore.create(vertx, PgTestDatabase.url(), 1, "x; DROP TABLE y"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
