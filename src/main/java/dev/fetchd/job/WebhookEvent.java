package dev.fetchd.job;

/** What a webhook can be told of: a job reaching a terminal state, or an item failing. */
public enum WebhookEvent {
  JOB_COMPLETED("job.completed"),
  JOB_FAILED("job.failed"),
  JOB_CANCELLED("job.cancelled"),
  JOB_TIMED_OUT("job.timed_out"),
  ITEM_FAILED("item.failed");

  private final String wire;

  WebhookEvent(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The event of this name, or null. */
  public static WebhookEvent fromWire(String s) {
    for (WebhookEvent e : values()) {
      if (e.wire.equals(s)) {
        return e;
      }
    }
    return null;
  }

  /** The event a job reaching {@code state} sends, or null when the state is not terminal. */
  public static WebhookEvent ofJobState(JobState state) {
    return switch (state) {
      case COMPLETED -> JOB_COMPLETED;
      case FAILED -> JOB_FAILED;
      case CANCELLED -> JOB_CANCELLED;
      case TIMED_OUT -> JOB_TIMED_OUT;
      default -> null;
    };
  }
}
