package dev.fetchd.store;

import org.junit.jupiter.api.AfterAll;

/** The delivery store contract on PostgreSQL: two stores with pools of their own stand for two replicas. */
class PgWebhookStoreTest extends WebhookStoreContractTest {
  static final String SCHEMA = "fetchd_test_webhooks";
  private static PgJobStore storeA;
  private static PgJobStore storeB;

  @Override
  protected JobDriver[] open() {
    if (storeA == null) {
      storeA = PgTestDatabase.freshStore(vertx, SCHEMA, 4);
      storeB = PgJobStore.create(vertx, PgTestDatabase.url(), 4, SCHEMA);
      storeB.init().await();
    }
    PgTestDatabase.sql(vertx, SCHEMA, "TRUNCATE fetchd_webhook_deliveries");
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
}
