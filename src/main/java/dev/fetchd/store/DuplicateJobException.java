package dev.fetchd.store;

/**
 * An insert refused because the job id or its Idempotency-Key is already stored. Two replicas taking
 * the same Idempotency-Key at once meet here: the loser reads the winner's job back by that key.
 */
public final class DuplicateJobException extends IllegalStateException {
  private final boolean idempotencyKey;

  public DuplicateJobException(String message, boolean idempotencyKey) {
    super(message);
    this.idempotencyKey = idempotencyKey;
  }

  /** True when the Idempotency-Key collided (rather than the id). */
  public boolean idempotencyKey() {
    return idempotencyKey;
  }
}
