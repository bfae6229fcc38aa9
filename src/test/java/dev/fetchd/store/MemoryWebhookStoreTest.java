package dev.fetchd.store;

/** The delivery store contract in memory: one process, so both "replicas" share the one store. */
class MemoryWebhookStoreTest extends WebhookStoreContractTest {

  @Override
  protected JobDriver[] open() {
    MemoryJobStore store = new MemoryJobStore();
    return new JobDriver[] {store, store};
  }
}
