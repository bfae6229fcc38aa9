package dev.fetchd.engine;

/** A submission the engine will not take, and why. Nothing was created. */
public final class SubmitRefused extends RuntimeException {

  public enum Reason { QUEUE_FULL, SHUTTING_DOWN, IDEMPOTENCY_CONFLICT }

  private final Reason reason;
  private final long retryAfterSeconds;

  public SubmitRefused(Reason reason, String message, long retryAfterSeconds) {
    super(message, null, false, false);
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public Reason reason() {
    return reason;
  }

  public long retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
