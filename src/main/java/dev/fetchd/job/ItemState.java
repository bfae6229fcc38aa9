package dev.fetchd.job;

/** The outcome of one URL of a job. */
public enum ItemState {
  QUEUED, RUNNING, SUCCEEDED, FAILED, SKIPPED, CANCELLED;

  public boolean isFinal() {
    return this != QUEUED && this != RUNNING;
  }

  public String wire() {
    return name().toLowerCase();
  }

  public static ItemState fromWire(String s) {
    return valueOf(s.toUpperCase());
  }
}
