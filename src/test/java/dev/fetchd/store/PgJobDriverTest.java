package dev.fetchd.store;

import io.vertx.sqlclient.Row;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;

/** The driver contract on PostgreSQL: two stores with pools of their own stand for two replicas. */
class PgJobDriverTest extends JobDriverContractTest {
  static final String SCHEMA = "fetchd_test_claims";
  private static PgJobStore storeA;
  private static PgJobStore storeB;

  @Override
  protected JobDriver[] open() {
    if (storeA == null) {
      storeA = PgTestDatabase.freshStore(vertx, SCHEMA, 4);
      storeB = PgJobStore.create(vertx, PgTestDatabase.url(), 4, SCHEMA);
      storeB.init().await();
    }
    PgTestDatabase.sql(vertx, SCHEMA, "TRUNCATE fetchd_jobs, fetchd_items, fetchd_blobs");
    return new JobDriver[] {storeA, storeB};
  }

  @AfterAll
  static void closeStores() {
    if (storeA != null) {
      storeA.close().await();
      storeB.close().await();
      storeA = null;
      storeB = null;
    }
  }

  @Override
  protected boolean sharedQueue() {
    return true;
  }

  @Override
  protected void checkRow(String jobId, Consumer<Row> check) {
    check.accept(PgTestDatabase.sql(vertx, SCHEMA,
        "SELECT state, claimed_by, attempt, lease_until, deadline_at FROM fetchd_jobs WHERE id = '" + jobId + "'")
        .iterator().next());
  }

  @Override
  protected Long sqlCount(String sql) {
    return ((Number) PgTestDatabase.sql(vertx, SCHEMA, sql).iterator().next().getValue("n")).longValue();
  }
}
