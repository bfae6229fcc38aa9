package dev.fetchd.engine;

import dev.fetchd.files.FileStore;
import dev.fetchd.metrics.FetchdMetrics;
import dev.fetchd.store.BlobRefs;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes stored bodies nothing refers to: the last item that referred to one went (retention), or a replica died
 * between storing a body and saving its item (then the body has no count at all). Every {@code graceMs} (at most
 * every 10 minutes) it walks the content-addressed store one folder at a time on the file workers, asks the job
 * store which of the bodies unused for {@code graceMs} no item refers to, and has the file store remove those
 * ({@link FileStore#removeIdleBlobs}: a writer deduplicating against one meanwhile keeps it). Every replica runs
 * one over the shared data dir; they need no coordination. Also keeps the {@code fetchd_store_bytes} gauge.
 */
final class BlobSweeper {
  private static final Logger log = LoggerFactory.getLogger(BlobSweeper.class);
  /** Hashes per question to the job store. */
  private static final int BATCH = 1_000;
  private static final long MAX_PERIOD_MS = 600_000;
  private static final long BYTES_EVERY_MS = 5_000;

  private final Vertx vertx;
  private final BlobRefs refs;
  private final FileStore files;
  private final long graceMs;
  private volatile long storedBytes;
  private final Counter sweeps;
  private final Counter swept;
  private long walkTimer = -1;
  private long bytesTimer = -1;
  private boolean walking;
  private boolean stopped;

  BlobSweeper(Vertx vertx, BlobRefs refs, FileStore files, long graceMs, FetchdMetrics metrics) {
    this.vertx = vertx;
    this.refs = refs;
    this.files = files;
    this.graceMs = graceMs;
    metrics.gauge("fetchd.store.bytes", "Bytes of the stored bodies some item refers to, each body counted once"
        + " however many items and jobs refer to it (every replica's; read from the store every few seconds)",
        () -> storedBytes);
    this.sweeps = Counter.builder("fetchd.store.sweeps")
        .description("Walks of the stored bodies completed by this replica's sweep").register(metrics.registry());
    this.swept = Counter.builder("fetchd.store.swept.bodies")
        .description("Stored bodies this replica's sweep removed: nothing referred to them").register(metrics.registry());
  }

  void start() {
    long period = Math.max(250, Math.min(MAX_PERIOD_MS, graceMs));
    // the first walk soon after start: bodies a crash left behind need not wait a whole period
    vertx.setTimer(Math.min(period, 5_000), t -> sweep());
    walkTimer = vertx.setPeriodic(period, t -> sweep());
    bytesTimer = vertx.setPeriodic(BYTES_EVERY_MS, t -> refreshBytes());
    refreshBytes();
  }

  void stop() {
    stopped = true;
    if (walkTimer >= 0) {
      vertx.cancelTimer(walkTimer);
      walkTimer = -1;
    }
    if (bytesTimer >= 0) {
      vertx.cancelTimer(bytesTimer);
      bytesTimer = -1;
    }
  }

  /** One walk of the whole store; a walk still under way makes this a no-op. Completes with the bodies removed. */
  Future<Integer> sweep() {
    if (walking || stopped) {
      return Future.succeededFuture(0);
    }
    walking = true;
    int[] removed = {0};
    Future<?> chain = files.restoreTrash();
    for (int folder = 0; folder < FileStore.BLOB_FOLDERS; folder++) {
      int f = folder;
      chain = chain.compose(v -> stopped ? Future.succeededFuture() : sweepFolder(f).map(n -> removed[0] += n));
    }
    return chain.transform(ar -> {
      walking = false;
      if (ar.failed()) {
        log.warn("sweep of stored bodies stopped: {}", ar.cause().toString());
      } else {
        sweeps.increment();
      }
      if (removed[0] > 0) {
        log.info("removed {} stored bodies nothing refers to", removed[0]);
        refreshBytes();
      }
      return Future.succeededFuture(removed[0]);
    });
  }

  private Future<Integer> sweepFolder(int folder) {
    return files.idleBlobs(folder, graceMs).compose(idle -> {
      Future<Integer> chain = Future.succeededFuture(0);
      for (int from = 0; from < idle.size(); from += BATCH) {
        List<String> batch = idle.subList(from, Math.min(idle.size(), from + BATCH));
        chain = chain.compose(n -> refs.unreferenced(batch)
            .compose(nobodys -> nobodys.isEmpty() ? Future.succeededFuture(List.<String>of())
                : files.removeIdleBlobs(new ArrayList<>(nobodys), graceMs))
            .compose(gone -> {
              swept.increment(gone.size());
              return refs.forget(gone).map(v -> n + gone.size());
            }));
      }
      return chain;
    });
  }

  private void refreshBytes() {
    refs.storedBytes().onSuccess(n -> storedBytes = n);
  }
}
