package dev.fetchd.engine;

import dev.fetchd.job.JobState;
import dev.fetchd.metrics.FetchdMetrics;
import dev.fetchd.store.JobClaims.Moved;
import dev.fetchd.store.JobDriver;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes back the jobs whose replica stopped renewing its lease (it died, or stalled past the lease): back to
 * the queue for another replica, or, once a job has been claimed {@code jobs.maxAttempts} times without
 * finishing (it may be what kills its replicas), to {@code failed} with {@code attempts_exhausted}. Every
 * replica runs one; the driver makes sure each expired claim is taken back once.
 */
final class Rescuer {
  private static final Logger log = LoggerFactory.getLogger(Rescuer.class);
  private static final long EVERY_MS = 2_000;

  private final Vertx vertx;
  private final JobDriver driver;
  private final Lifecycle lifecycle;
  private final int maxAttempts;
  private final Runnable jobsQueued;
  private final FetchdMetrics metrics;
  private long timer = -1;
  private boolean running;

  Rescuer(Vertx vertx, JobDriver driver, Lifecycle lifecycle, int maxAttempts, Runnable jobsQueued,
          FetchdMetrics metrics) {
    this.vertx = vertx;
    this.driver = driver;
    this.lifecycle = lifecycle;
    this.maxAttempts = maxAttempts;
    this.jobsQueued = jobsQueued;
    this.metrics = metrics;
  }

  void start() {
    timer = vertx.setPeriodic(EVERY_MS, t -> rescue());
    rescue();
  }

  void rescue() {
    if (running) {
      return;
    }
    running = true;
    driver.reclaimExpired(maxAttempts).onComplete(ar -> {
      running = false;
      if (ar.failed()) {
        metrics.jobStoreWriteFailed();
        log.warn("taking back expired claims failed: {}", ar.cause().toString());
        return;
      }
      boolean requeued = false;
      for (Moved m : ar.result()) {
        if (m.to() == JobState.FAILED) {
          log.atError().addKeyValue("jobId", m.jobId()).log("job {} failed: claimed {} times without finishing; not retried again", m.jobId(), maxAttempts);
        }
        lifecycle.moved(m.jobId(), m.from(), m.to(), m.error() != null ? m.error()
            : new dev.fetchd.job.JobError("lease_expired", "its replica stopped renewing the claim"));
        requeued |= m.to() == JobState.QUEUED;
      }
      if (requeued) {
        jobsQueued.run();
      }
    });
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
