package dev.fetchd.store;

import io.vertx.core.Future;

/**
 * What the engine runs on: where jobs live ({@link JobStore}), how they are taken and handed back
 * ({@link JobClaims}: claims with leases, heartbeats, fenced writes, cancel requests) and how replicas hear of
 * each other ({@link Listener}). Two implementations pass one contract suite: {@link MemoryJobStore} (one
 * process: leases never expire, notifications are local calls) and {@link PgJobStore} (several replicas on
 * PostgreSQL: LISTEN/NOTIFY). The engine never asks which one it has.
 */
public interface JobDriver extends JobStore, JobClaims {

  /** What a driver tells the engine. Called on the context that called {@link #listen}. */
  interface Listener {
    /** A job was queued or handed back somewhere: claim now rather than at the next poll. */
    void jobQueued();

    /** A cancel was asked for: the replica that runs {@code jobId} ends it. */
    void cancelRequested(String jobId);

    /** A job's saved state or progress changed (whoever runs it): watchers re-read it. */
    void jobChanged(String jobId);
  }

  /** Per-host permits that hold across every replica (in memory: one process, the local limiter is all). */
  HostPermits hostPermits();

  /** Webhook deliveries, kept as long as jobs are (in memory: this process; PostgreSQL: every replica's). */
  WebhookStore webhooks();

  /** Starts delivering notifications to {@code listener}. One listener per driver. */
  Future<Void> listen(Listener listener);

  /** Stops delivering notifications and frees what listening holds (a connection, say). */
  Future<Void> unlisten();
}
