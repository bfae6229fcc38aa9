package dev.fetchd.store;

import dev.fetchd.job.Item;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How several replicas share one queue of jobs. A replica claims queued jobs, holds each under a lease it
 * renews by heartbeat, and writes a running job only through its lease: a write whose replica and attempt
 * no longer match the job is refused and reported as {@code false}, never applied. Leases are timed by the
 * database clock, so the replicas' clocks do not matter. Writes concerning one job apply in call order.
 */
public interface JobClaims {

  /**
   * Moves up to {@code max} queued jobs to running for {@code replica}, by priority (highest first) then
   * submission order, under a lease of {@code leaseMs}. Concurrent claims never return the same job.
   */
  Future<List<Claimed>> claim(String replica, int max, long leaseMs);

  /** Extends the leases {@code replica} still holds among {@code jobIds}; says which, and which must stop. */
  Future<Renewal> renew(String replica, Collection<String> jobIds, long leaseMs);

  /**
   * Hands a running job back to the queue (a replica shutting down): items that were running become
   * queued again, the deadline is kept. A job whose cancel was asked for is cancelled instead.
   * False if the lease was no longer held.
   */
  Future<Boolean> release(Lease lease);

  /**
   * Takes back the jobs whose lease ran out (their replica died or stalled): back to queued, or to
   * cancelled when a cancel was asked for meanwhile. Returns the ids of the jobs taken back.
   */
  Future<List<String>> reclaimExpired();

  /** Jobs waiting, across all replicas: what the queue capacity counts. */
  Future<Long> countQueued();

  /** Saves a running job's state, timestamps, error and progress if {@code lease} still holds. */
  Future<Boolean> updateJob(Lease lease, Job job);

  /** Saves items of the leased job (batched) if {@code lease} still holds. */
  Future<Boolean> updateItems(Lease lease, List<Item> items);

  /** Adds items discovered by the leased job (batched) if {@code lease} still holds. */
  Future<Boolean> addItems(Lease lease, List<Item> items);

  /**
   * Cancels a job whichever replica runs it: a queued job is cancelled at once (with its items); for a
   * running one the request is recorded and its replica told (by notification now, by heartbeat otherwise).
   */
  Future<CancelOutcome> requestCancel(String jobId, JobError why);

  /** A job this replica now runs: the job as stored, its lease, and its deadline (kept across takeovers). */
  record Claimed(Job job, Lease lease, Instant leaseUntil, Instant deadline) {
  }

  /**
   * The result of a heartbeat: the jobs whose lease was extended, and among them those whose cancel was
   * asked for (with why). A job missing from {@code held} was taken over: this replica must stop it
   * without writing anything more.
   */
  record Renewal(Set<String> held, Map<String, JobError> cancelRequested) {
  }

  enum CancelOutcome {
    /** The job was queued and is now cancelled. */
    CANCELLED,
    /** The job is running; its owner has been asked to cancel it. */
    REQUESTED,
    /** The job had already finished; nothing changed. */
    FINISHED,
    /** No such job. */
    UNKNOWN
  }
}
