package dev.fetchd.store;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

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
}
