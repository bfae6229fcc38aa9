package dev.fetchd.job;

import java.time.Instant;
import java.util.Objects;

/**
 * A job and its live state. Instances are owned by the engine's event loop: only that thread changes
 * them, and state changes go through the engine, which checks them against {@link JobState#canMoveTo}.
 */
public final class Job {
  private final String id;
  private final JobSpec spec;
  private final Instant createdAt;
  private final String idempotencyKey;
  private final String requestHash;
  private final String owner;
  private final Progress progress = new Progress();
  private JobState state = JobState.QUEUED;
  private Instant startedAt;
  private Instant finishedAt;
  private JobError error;

  /**
   * @param owner who submitted it: a fingerprint of the API token, or null when the service runs without
   *              tokens
   */
  public Job(String id, JobSpec spec, Instant createdAt, String idempotencyKey, String requestHash, String owner) {
    this.id = Objects.requireNonNull(id);
    this.spec = Objects.requireNonNull(spec);
    this.createdAt = Objects.requireNonNull(createdAt);
    this.idempotencyKey = idempotencyKey;
    this.requestHash = requestHash;
    this.owner = owner;
  }

  public String id() { return id; }
  public JobSpec spec() { return spec; }
  public JobType type() { return spec.type(); }
  public Instant createdAt() { return createdAt; }
  public String idempotencyKey() { return idempotencyKey; }
  public String requestHash() { return requestHash; }
  public String owner() { return owner; }
  public Progress progress() { return progress; }
  public JobState state() { return state; }
  public Instant startedAt() { return startedAt; }
  public Instant finishedAt() { return finishedAt; }
  public JobError error() { return error; }

  /** Moves to {@code to}; refuses a transition the state table does not allow. */
  public void moveTo(JobState to, Instant at, JobError why) {
    if (!state.canMoveTo(to)) {
      throw new IllegalStateException("job " + id + ": " + state.wire() + " -> " + to.wire() + " is not allowed");
    }
    state = to;
    if (to == JobState.RUNNING) {
      startedAt = at;
    } else if (to.isTerminal()) {
      finishedAt = at;
      error = why;
    } else if (to == JobState.QUEUED) {
      startedAt = null;
    }
  }

  /** A copy with its own progress: what a store hands out, so that only a save changes what it holds. */
  public Job copy() {
    Job j = new Job(id, spec, createdAt, idempotencyKey, requestHash, owner);
    j.restore(state, startedAt, finishedAt, error);
    j.progress.restoreFrom(progress);
    return j;
  }

  /** Restores persisted fields (a store reading a job back); bypasses the state table on purpose. */
  public void restore(JobState state, Instant startedAt, Instant finishedAt, JobError error) {
    this.state = state;
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.error = error;
  }
}
