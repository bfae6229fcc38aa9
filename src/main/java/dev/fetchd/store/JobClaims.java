package dev.fetchd.store;

import dev.fetchd.job.Item;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobState;
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
   * Queues a new job with its items if fewer than {@code capacity} jobs wait, across every replica: the
   * count and the insert are one step, so concurrent submits never overfill the queue. False when full.
   */
  Future<Boolean> submit(Job job, List<Item> items, int capacity);

  /**
   * Moves up to {@code max} queued jobs to running for {@code replica}, by priority (highest first) then
   * submission order, under a lease of {@code leaseMs}. Concurrent claims never return the same job.
   */
  Future<List<Claimed>> claim(String replica, int max, long leaseMs);

  /** Extends the leases {@code replica} still holds among {@code jobIds}; says which, and which must stop. */
  Future<Renewal> renew(String replica, Collection<String> jobIds, long leaseMs);

  /**
   * Hands a running job back (a replica shutting down): items that were running become queued again, the
   * deadline is kept. A job whose cancel was asked for is cancelled instead; so is every job of a driver
   * whose queue does not outlive this process (in memory), with {@code ifAbandoned} as the reason.
   * Null if the lease was no longer held.
   */
  Future<Moved> release(Lease lease, JobError ifAbandoned);

  /**
   * Takes back the jobs whose lease ran out (their replica died or stalled): back to queued; to cancelled
   * when a cancel was asked for meanwhile; to failed ({@code attempts_exhausted}) when the job was claimed
   * {@code maxAttempts} times already. Returns each change.
   */
  Future<List<Moved>> reclaimExpired(int maxAttempts);

  /** Jobs waiting, across all replicas: what the queue capacity counts. */
  Future<Long> countQueued();

  /** Jobs by state, across all replicas (the gauges). */
  Future<Map<JobState, Long>> countByState();

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

  /** A state change made by the driver itself (in SQL, for PostgreSQL): the engine logs and counts it. */
  record Moved(String jobId, JobState from, JobState to, JobError error) {
  }

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
