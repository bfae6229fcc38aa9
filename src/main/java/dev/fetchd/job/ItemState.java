package dev.fetchd.job;

/** The outcome of one URL of a job. */
public enum ItemState {
  QUEUED, RUNNING, SUCCEEDED, FAILED, SKIPPED, CANCELLED;

  public boolean isFinal() {
    return this != QUEUED && this != RUNNING;
  }

  /**
   * The item state table. queued -> running (a fetch starts) or straight to an outcome (robots, cancel,
   * a job that ends first); running -> an outcome, or back to queued (a retry's backoff, a hand-back).
   * Outcomes never change.
   */
  public boolean canMoveTo(ItemState to) {
    return switch (this) {
      case QUEUED -> to != QUEUED && to != SUCCEEDED;
      case RUNNING -> to != RUNNING;
      default -> false;
    };
  }

  public String wire() {
    return name().toLowerCase();
  }

  public static ItemState fromWire(String s) {
    return valueOf(s.toUpperCase());
  }
}
