package dev.fetchd.engine;

import dev.fetchd.store.JobDriver;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's side of the queue: claiming jobs when running slots are free (woken by the driver's
 * notifications, with polling as the fallback), renewing the leases of the jobs it runs, and saving their
 * progress as it goes. Confined to the engine's event loop.
 *
 * <p>Every lease is renewed every third of its length, so two missed heartbeats still leave it held; a job
 * whose renewal says it is no longer ours stops at once without writing (another replica runs it now).
 */
final class Claimer {
  private static final Logger log = LoggerFactory.getLogger(Claimer.class);
  private static final long POLL_MS = 2_000;
  private static final long CHECKPOINT_MS = 1_000;

  private final JobEngine engine;
  private final JobDriver driver;
  private final long leaseMs;
  private final String replica;
  private final List<Long> timers = new ArrayList<>();
  private boolean claiming;
  private boolean claimAgain;
  private boolean stopped;

  Claimer(JobEngine engine, JobDriver driver, long leaseMs) {
    this.engine = engine;
    this.driver = driver;
    this.leaseMs = leaseMs;
    // unique per process start: a restarted replica is a new claimant, its old leases simply expire
    String host = ManagementFactory.getRuntimeMXBean().getName();
    this.replica = host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  String replica() {
    return replica;
  }

  void start() {
    log.info("replica {} sharing the job queue (lease {} ms)", replica, leaseMs);
    timers.add(engine.vertx.setPeriodic(Math.max(100, leaseMs / 3), t -> heartbeat()));
    timers.add(engine.vertx.setPeriodic(POLL_MS, t -> engine.pump()));
    timers.add(engine.vertx.setPeriodic(CHECKPOINT_MS, t -> engine.runningJobs().forEach(RunningJob::checkpoint)));
  }

  /** Shutdown: no more claims; heartbeats go on so the jobs still finishing keep their leases. */
  void stopClaiming() {
    stopped = true;
  }

  /** Claims up to {@code free} jobs. One claim round trip at a time; asks made meanwhile fold into one more. */
  void claim(int free) {
    if (stopped || free <= 0) {
      return;
    }
    if (claiming) {
      claimAgain = true;
      return;
    }
    claiming = true;
    driver.claim(replica, free, leaseMs).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        engine.metrics.jobStoreWriteFailed();
        log.warn("claiming jobs failed: {}", ar.cause().toString());
        return;
      }
      if (stopped) {
        // claimed while shutdown began: give them straight back
        ar.result().forEach(c -> engine.handedBack(c.job().id(), driver.release(c.lease(), JobEngine.SHUTDOWN)));
        return;
      }
      ar.result().forEach(engine::startClaimed);
      if (claimAgain || ar.result().size() == free) {
        claimAgain = false;
        engine.pump();
      }
    });
  }

  /** Renews the leases of the jobs running here; stops those taken over, cancels those asked to cancel. */
  private void heartbeat() {
    // a finished job is renewed too while its end is saved: that save is retried for seconds, longer than a
    // short lease, and a lease run out meanwhile would have the rescuer run the job again
    Set<String> ids = new HashSet<>();
    engine.runningJobs().forEach(rj -> ids.add(rj.job.id()));
    if (ids.isEmpty()) {
      return;
    }
    driver.renew(replica, ids, leaseMs).onComplete(ar -> {
      if (ar.failed()) {
        // the database is unreachable: the lease runs on; if it expires, another replica takes over and the
        // fence refuses this one's writes
        engine.metrics.jobStoreWriteFailed();
        log.warn("lease renewal failed: {}", ar.cause().toString());
        return;
      }
      for (String id : ids) {
        RunningJob rj = engine.runningJob(id);
        if (rj == null) {
          continue;
        }
        if (!ar.result().held().contains(id)) {
          if (!rj.finished()) {
            rj.lose(); // a finished one not held any more has had its end saved, or will be refused by the fence
          }
        } else if (ar.result().cancelRequested().containsKey(id)) {
          engine.cancelRequested(id);
        }
      }
    });
  }

  void stop() {
    stopped = true;
    timers.forEach(engine.vertx::cancelTimer);
  }
}
