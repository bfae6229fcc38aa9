package dev.fetchd.store;

import dev.fetchd.job.Item;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobState;
import java.time.Instant;
import java.util.List;

import io.vertx.core.Future;

/**
 * Where jobs and their items live. Every method returns a future and none blocks: the in-memory store
 * answers at once, the PostgreSQL store through the reactive client. Called from the engine's event loop.
 *
 * <p>Lookups complete with null for an unknown id rather than failing. Cursors are opaque strings this
 * store made; a cursor it cannot read fails the future with {@link IllegalArgumentException}.
 */
public interface JobStore {

  /** Prepares the store (creates the schema, say). */
  Future<Void> init();

  /** Saves a new job with its first items. */
  Future<Void> insert(Job job, List<Item> items);

  /** The job submitted earlier with this Idempotency-Key (keys are scoped by the caller), or null. */
  Future<Job> findByIdempotencyKey(String key);

  Future<Job> get(String id);

  /** Jobs newest first, optionally only those in {@code state} and only those of {@code owner}. */
  Future<Page<Job>> list(JobState state, String owner, int limit, String cursor);

  /** Saves a job's state, timestamps, error and progress. */
  Future<Void> updateJob(Job job);

  /** Adds items discovered while the job runs (crawl links). */
  Future<Void> addItems(List<Item> items);

  /** Saves the outcome of items. Callers batch; a store may write them in one round trip. */
  Future<Void> updateItems(List<Item> items);

  /** Items of a job in index order, optionally only those in {@code state}; null if the job is unknown. */
  Future<Page<Item>> items(String jobId, ItemState state, int limit, String cursor);

  /** Every item of a job in index order (the engine loads them to run the job). */
  Future<List<Item>> allItems(String jobId);

  /** One item, or null. */
  Future<Item> item(String jobId, int index);

  /** Ids of jobs in a terminal state that finished before {@code cutoff}, at most {@code max}. */
  Future<List<String>> finishedBefore(Instant cutoff, int max);

  /**
   * Ids of jobs that finished before {@code cutoff} (and after {@code after}, when not null) whose webhook wants
   * their end event ({@code job.<state>}) and which have no delivery of it recorded, at most {@code max}: the
   * events a replica that died between saving the job's end and recording the delivery left out.
   */
  Future<List<String>> endedWithoutEndEvent(Instant after, Instant cutoff, int max);

  /**
   * Removes a job and its items (its stored files are the file store's business); the counts of the bodies its
   * items referred to go down with them ({@link #blobs}).
   */
  Future<Void> delete(String jobId);

  /** Who refers to which stored body: counts kept with every item write. */
  BlobRefs blobs();

  Future<Void> close();
}
