package dev.fetchd.engine;

import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobState;
import dev.fetchd.metrics.FetchdMetrics;
import dev.fetchd.store.JobDriver;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one record of job state changes. Whether a change is made here in Java ({@link #move}) or by the driver
 * in SQL (claim, hand-back, takeover, cancel of a queued job: {@link #moved}), it is checked against
 * {@link JobState#canMoveTo}, logged once with the job id, and counted in
 * {@code fetchd_job_transitions_total{from,to}}. The gauges of jobs by state are counted by the driver (every
 * replica's jobs, so they agree whichever replica is scraped), refreshed after changes and periodically.
 */
final class Lifecycle {
  private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);
  private static final long REFRESH_AFTER_CHANGE_MS = 250;
  private static final long REFRESH_EVERY_MS = 5_000;

  private final Vertx vertx;
  private final JobDriver driver;
  private final Map<JobState, Map<JobState, Counter>> transitions = new EnumMap<>(JobState.class);
  private final Map<JobState, Long> byState = new EnumMap<>(JobState.class);
  private final Counter[][] itemTransitions = new Counter[ItemState.values().length][ItemState.values().length];
  private boolean refreshing;
  /** Bumped by every change counted here: a count read while one happened is stale and read again. */
  private long generation;
  private boolean refreshAgain;
  private long refreshTimer = -1;
  private long periodic = -1;
  /** Told of every terminal state recorded here, with the job when the caller has it (else null). */
  private java.util.function.BiConsumer<String, Job> onTerminal = (id, job) -> { };

  Lifecycle(Vertx vertx, JobDriver driver, FetchdMetrics metrics) {
    this.vertx = vertx;
    this.driver = driver;
    for (JobState from : JobState.values()) {
      Map<JobState, Counter> row = new EnumMap<>(JobState.class);
      for (JobState to : JobState.values()) {
        if (from.canMoveTo(to)) {
          row.put(to, Counter.builder("fetchd.job.transitions").description("Job state changes, by from and to state")
              .tag("from", from.wire()).tag("to", to.wire()).register(metrics.registry()));
        }
      }
      transitions.put(from, row);
    }
    for (ItemState from : ItemState.values()) {
      for (ItemState to : ItemState.values()) {
        if (from.canMoveTo(to)) {
          itemTransitions[from.ordinal()][to.ordinal()] = Counter.builder("fetchd.item.transitions")
              .description("Item state changes, by from and to state").tag("from", from.wire()).tag("to", to.wire())
              .register(metrics.registry());
        }
      }
    }
    for (JobState s : JobState.values()) {
      byState.put(s, 0L);
      metrics.gauge("fetchd.jobs", "Jobs in the store (every replica's), by state", () -> byState.get(s), "state", s.wire());
    }
    metrics.gauge("fetchd.queue.depth", "Jobs waiting to run, on every replica", () -> byState.get(JobState.QUEUED));
  }

  /**
   * An item changed state (the caller checked it against the item table). Counted, not logged: a job has up
   * to 100,000 items; its log line is the job's own, with the counts.
   */
  void itemMoved(ItemState from, ItemState to) {
    itemTransitions[from.ordinal()][to.ordinal()].increment();
  }

  /** Who hears of terminal states (webhooks): once per change, on the replica that made it. */
  void onTerminal(java.util.function.BiConsumer<String, Job> hook) {
    this.onTerminal = hook;
  }

  /** A job made here: queued. */
  void created(Job job, int items) {
    log.atInfo().addKeyValue("jobId", job.id()).log("job {} queued: {} with {} urls, priority {}", job.id(), job.type().wire(), items, job.spec().priority());
    byState.merge(JobState.QUEUED, 1L, Long::sum);
    generation++;
    changed();
  }

  /**
   * Moves {@code job} to {@code to} here, through the table (throws if the table does not allow it). The
   * change is recorded by {@link #moved} once it is saved: a replica whose write is refused changed nothing.
   */
  JobState move(Job job, JobState to, JobError why) {
    JobState from = job.state();
    job.moveTo(to, Instant.now(), why);
    return from;
  }

  /** A change saved (by this engine, or by the driver in SQL): checked, logged once, counted. */
  void moved(String jobId, JobState from, JobState to, JobError why) {
    moved(jobId, from, to, why, null);
  }

  void moved(String jobId, JobState from, JobState to, JobError why, Job job) {
    if (!from.canMoveTo(to)) {
      // the driver's statements only match allowed sources; seeing this means a driver bug
      log.atError().addKeyValue("jobId", jobId).log("job {}: the store moved it {} -> {}, which the state table does not allow", jobId, from.wire(), to.wire());
      return;
    }
    record(jobId, from, to, why, job);
  }

  private void record(String jobId, JobState from, JobState to, JobError why, Job job) {
    transitions.get(from).get(to).increment();
    StringBuilder line = new StringBuilder();
    if (why != null) {
      line.append(": ").append(why.message());
    }
    if (job != null && to.isTerminal()) {
      var p = job.progress();
      line.append(" (succeeded ").append(p.succeeded()).append(", failed ").append(p.failed())
          .append(", bytes ").append(p.bytes()).append(')');
    }
    log.atInfo().addKeyValue("jobId", jobId).log("job {} {} -> {}{}", jobId, from.wire(), to.wire(), line);
    // counted at once here; the driver's count (every replica's changes) follows
    byState.merge(from, -1L, Long::sum);
    byState.merge(to, 1L, Long::sum);
    generation++;
    changed();
    if (to.isTerminal()) {
      onTerminal.accept(jobId, job);
    }
  }

  /** A finished job was removed (retention). */
  void removed(Job job) {
    byState.merge(job.state(), -1L, Long::sum);
    generation++;
    changed();
  }

  /** Jobs changed somewhere: count them again soon (coalesced). */
  void changed() {
    if (refreshTimer < 0) {
      refreshTimer = vertx.setTimer(REFRESH_AFTER_CHANGE_MS, t -> {
        refreshTimer = -1;
        refresh();
      });
    }
  }

  /** Counts jobs by state in the driver; one count at a time. */
  void refresh() {
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    long asOf = generation;
    driver.countByState().onComplete(ar -> {
      refreshing = false;
      if (ar.succeeded() && asOf == generation) {
        byState.putAll(ar.result());
      } else if (ar.succeeded()) {
        refreshAgain = true;
      }
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    });
  }

  /** Counts again every few seconds: other replicas' changes, and removals, are not all announced. */
  void start() {
    periodic = vertx.setPeriodic(REFRESH_EVERY_MS, t -> refresh());
    refresh();
  }

  long count(JobState s) {
    return byState.get(s);
  }

  void stop() {
    vertx.cancelTimer(periodic);
    if (refreshTimer >= 0) {
      vertx.cancelTimer(refreshTimer);
      refreshTimer = -1;
    }
  }
}
