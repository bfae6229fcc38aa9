package dev.fetchd.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Webhook deliveries, recorded when their event happens and kept until sent (at least once): a replica claims
 * the due ones under a short lease, sends them, and records each attempt; a delivery whose replica died while
 * holding it is due again once the lease runs out, for any replica. Times are the store's clock (the database's
 * for PostgreSQL), so the replicas' clocks do not matter. Called from the engine's event loop; never blocks.
 */
public interface WebhookStore {
  /** The kind of the deliveries listing's cursors (one format for both stores). */
  String CURSOR = "delivery";

  /** The position a deliveries cursor names (0 for none); IllegalArgumentException for a bad one. */
  static long after(String cursor) {
    return cursor == null ? 0 : Cursors.decode(CURSOR, cursor);
  }


  enum Status {
    PENDING, SUCCEEDED, FAILED;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Status fromWire(String s) {
      return valueOf(s.toUpperCase(java.util.Locale.ROOT));
    }
  }

  /**
   * One delivery: one event of one job to its webhook, with the exact body every attempt sends and what the
   * attempts so far got. {@code nextAttemptAt} is null once it succeeded or failed for good; then its body and
   * secret are no longer kept (empty).
   */
  record Delivery(String id, String jobId, String event, String url, String secret, String body, Status status,
                  int attempts, Integer lastStatus, String lastError, Instant nextAttemptAt, Instant createdAt,
                  Instant updatedAt) {
    public Delivery {
      Objects.requireNonNull(id);
      Objects.requireNonNull(jobId);
    }

    /** A new delivery, due at once. */
    public static Delivery pending(String id, String jobId, String event, String url, String secret, String body) {
      return new Delivery(id, jobId, event, url, secret, body, Status.PENDING, 0, null, null, null, null, null);
    }

    /** Never print the secret. */
    @Override
    public String toString() {
      return "Delivery[" + id + " " + event + " of job " + jobId + ", " + status.wire() + " after " + attempts + "]";
    }
  }

  /**
   * What an attempt got: {@code status} succeeded, failed (for good) or pending again {@code retryInMs} from now;
   * the HTTP status if an answer came, and the error otherwise or besides.
   */
  record Attempt(String id, int attempt, Status status, Integer httpStatus, String error, long retryInMs) {
  }

  /**
   * Records a new pending delivery, due now. A delivery of the same id recorded before is kept as it is: an
   * event's id is derived from the event, so recording it twice (a takeover, a sweep for missed events) sends it
   * once.
   */
  Future<Void> addDelivery(Delivery delivery);

  /**
   * Takes up to {@code max} due pending deliveries: each counts one more attempt and is not due again for
   * {@code leaseMs} (the time to send it), so no other claim returns it meanwhile.
   */
  Future<List<Delivery>> claimDue(int max, long leaseMs);

  /**
   * Records the outcome of an attempt, if the delivery is still pending at that attempt (a replica whose lease
   * ran out and whose delivery was claimed again records nothing). True when recorded.
   */
  Future<Boolean> attempted(Attempt attempt);

  /** A job's deliveries, oldest first; the cursor is opaque (IllegalArgumentException if not ours). */
  Future<Page<Delivery>> deliveries(String jobId, int limit, String cursor);

  /** Removes a job's deliveries (the job itself is removed). */
  Future<Void> deleteDeliveries(String jobId);
}
