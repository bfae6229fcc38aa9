package dev.fetchd.store;

import io.vertx.sqlclient.Row;
import java.util.function.Consumer;

/** The driver contract in memory: one process, so both "replicas" share the one store. */
class MemoryJobDriverTest extends JobDriverContractTest {

  @Override
  protected JobDriver[] open() {
    MemoryJobStore store = new MemoryJobStore();
    return new JobDriver[] {store, store};
  }

  @Override
  protected boolean sharedQueue() {
    return false;
  }

  @Override
  protected void checkRow(String jobId, Consumer<Row> check) {
    // no rows in memory
  }

  @Override
  protected Long sqlCount(String sql) {
    return null;
  }
}
