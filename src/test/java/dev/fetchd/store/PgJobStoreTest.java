package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL store against the store contract, in a schema of its own that every test empties first.
 * Skipped with a message when no PostgreSQL is at hand (see {@link PgTestDatabase}).
 */
class PgJobStoreTest extends JobStoreContractTest {
  static final String SCHEMA = "fetchd_test_contract";
  private static PgJobStore shared;

  @BeforeAll
  static void migrate() {
    shared = PgTestDatabase.freshStore(vertx, SCHEMA, 4);
  }

  @AfterAll
  static void closeShared() {
    if (shared != null) {
      shared.close().await();
    }
  }

  @Override
  protected JobStore openStore() {
    PgTestDatabase.sql(vertx, SCHEMA, "TRUNCATE fetchd_jobs, fetchd_items, fetchd_blobs");
    return shared;
  }

  @Override
  protected void closeStore(JobStore store) {
    // shared by the class; closed once after all
  }

  /**
   * Many items added: the store has the items table analyzed. Without statistics (autovacuum off, as here, or
   * not round yet) the item updates' cached plan, made while the table was small, made a 100,000-item job's
   * updates take seconds each (bench/ui_scale.sh with BENCH_UI_PG_URL).
   */
  @Test
  void manyItemsAddedHaveTheItemsTableAnalyzed() throws InterruptedException {
    String analyzed = "SELECT count(*) AS n FROM pg_stat_user_tables WHERE schemaname = '" + SCHEMA
        + "' AND relname = 'fetchd_items' AND analyze_count > ";
    long before = PgTestDatabase.sql(vertx, SCHEMA, analyzed.replace(" AND analyze_count > ", "")
        .replace("count(*) AS n", "analyze_count AS n")).iterator().next().getLong("n");
    submit(20_000);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (PgTestDatabase.sql(vertx, SCHEMA, analyzed + before).iterator().next().getLong("n") == 0) {
      assertThat(System.nanoTime()).as("fetchd_items analyzed within 10 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }
}
