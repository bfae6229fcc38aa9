package dev.fetchd.store;

/** The in-memory store against the store contract. */
class MemoryJobStoreTest extends JobStoreContractTest {

  @Override
  protected JobStore openStore() {
    MemoryJobStore store = new MemoryJobStore();
    store.init().await();
    return store;
  }
}
