package dev.fetchd.engine;

import dev.fetchd.job.Job;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Copies of the jobs that run on this replica, for readers on other threads (the API's event loop): a
 * {@code GET /jobs/{id}} of a running job answers from here without waiting its turn on a busy engine loop.
 * The engine publishes a copy at each change it announces (an item's end, a state move) and, for the
 * changes it does not announce (an item starting, bytes arriving), within {@link #REFRESH_MS}. A published
 * copy is never changed again. Jobs that do not run here are read as before, from the store.
 */
final class JobSnapshots {
  /** Longest a published copy lags behind the live job. */
  static final long REFRESH_MS = 50;

  /** {@code source} is the live job it was copied from: a new run of the same job (a new claim) is a new source. */
  private record Snapshot(Job job, Job source, long version) {}

  private final ConcurrentHashMap<String, Snapshot> views = new ConcurrentHashMap<>();

  /** Engine loop: publishes a copy of the live job if it changed since the last one. */
  void refresh(Job live) {
    long version = version(live);
    Snapshot s = views.get(live.id());
    if (s == null || s.source != live || s.version != version) {
      views.put(live.id(), new Snapshot(live.copy(), live, version));
    }
  }

  /** Engine loop: the job left this replica; its readers go back to the store. */
  void drop(String jobId) {
    views.remove(jobId);
  }

  /** Any thread: the last copy of a job running here, or null. Read it, never change it. */
  Job peek(String jobId) {
    Snapshot s = views.get(jobId);
    return s == null ? null : s.job;
  }

  /** State moves are few and always come with a progress change or not: fold both into one number. */
  private static long version(Job job) {
    return job.progress().changes() * 16 + job.state().ordinal();
  }
}
