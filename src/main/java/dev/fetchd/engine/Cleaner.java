package dev.fetchd.engine;

import dev.fetchd.files.FileStore;
import dev.fetchd.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import dev.fetchd.job.Job;
import java.time.Instant;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention: removes finished jobs and their items once they are older than the retention time, a bounded batch
 * per round, one round at a time. Every replica runs one; removing a job twice is harmless. The items' bodies are
 * shared by content: a body goes when the last item referring to it has gone, by the {@link BlobSweeper}; bodies
 * an earlier version stored per job ({@code files/<jobId>}) go with their job here. Also forgets idle per-host
 * state.
 */
final class Cleaner {
  private static final Logger log = LoggerFactory.getLogger(Cleaner.class);
  private static final int BATCH = 500;

  private final Vertx vertx;
  private final JobStore store;
  private final FileStore files;
  private final HostLimiter hosts;
  private final long retentionMs;
  private final Consumer<Job> removed;
  private long timer = -1;
  private boolean sweeping;

  Cleaner(Vertx vertx, JobStore store, FileStore files, HostLimiter hosts, long retentionMs, Consumer<Job> removed) {
    this.vertx = vertx;
    this.store = store;
    this.files = files;
    this.hosts = hosts;
    this.retentionMs = retentionMs;
    this.removed = removed;
  }

  void start() {
    long every = Math.max(1_000, Math.min(60_000, retentionMs / 4));
    timer = vertx.setPeriodic(every, id -> sweep());
  }

  void sweep() {
    hosts.evictIdle();
    if (sweeping) {
      return; // the previous round is still deleting
    }
    sweeping = true;
    Instant cutoff = Instant.now().minusMillis(retentionMs);
    store.finishedBefore(cutoff, BATCH).compose(ids -> {
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        chain = chain.compose(v -> store.get(id)
            .compose(job -> files.deleteJob(id).compose(x -> store.delete(id)).map(x -> job))
            .onSuccess(job -> {
              if (job != null) {
                log.atInfo().addKeyValue("jobId", id).log("job {} removed after retention", id);
                removed.accept(job);
              }
            })
            .<Void>mapEmpty()
            .recover(err -> {
              log.atWarn().addKeyValue("jobId", id).log("job {}: retention cleanup failed", id, err);
              return Future.succeededFuture();
            }));
      }
      return chain;
    }).onComplete(ar -> sweeping = false);
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
