package dev.fetchd.store;

/** The in-memory host permits against the contract: one instance stands for every replica. */
class MemoryHostPermitsTest extends HostPermitsContractTest {
  private MemoryHostPermits permits;

  @Override
  protected HostPermits permits(int i) {
    return permits;
  }

  @Override
  protected void empty() {
    permits = new MemoryHostPermits();
  }
}
