package dev.fetchd.engine;

import dev.fetchd.config.FetchdConfig;
import dev.fetchd.fetch.Fetcher;
import dev.fetchd.files.FileStore;
import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemKind;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobState;
import dev.fetchd.job.JobType;
import dev.fetchd.metrics.FetchdMetrics;
import dev.fetchd.job.Progress;
import dev.fetchd.store.DuplicateJobException;
import dev.fetchd.store.JobClaims;
import dev.fetchd.store.JobStore;
import dev.fetchd.store.Page;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every job of this service: the bounded queue, the running jobs, the permits, cancel, deadlines,
 * retention and shutdown. Every method must be called on the event loop of the verticle that created it;
 * that single thread is what makes the absence of locks correct. Knows nothing of HTTP routes.
 */
public final class JobEngine {
  private static final Logger log = LoggerFactory.getLogger(JobEngine.class);
  private static final long CANCEL_WAIT_MS = 10_000;

  final Vertx vertx;
  final FetchdConfig config;
  final JobStore store;
  final Fetcher fetcher;
  final FileStore files;
  final FetchdMetrics metrics;
  final AsyncSemaphore global;
  final HostLimiter hosts;
  final RobotsCheck robots;
  /** The shared queue of several replicas (PostgreSQL store); null with the in-memory store. */
  final JobClaims claims;
  private final SharedQueue shared;

  private final PriorityQueue<Queued> queue = new PriorityQueue<>(
      Comparator.comparingInt((Queued q) -> -q.job.spec().priority()).thenComparingLong(q -> q.seq));
  private final Map<String, Queued> queuedById = new HashMap<>();
  private final Map<String, RunningJob> running = new HashMap<>();
  private final Map<String, List<Promise<Job>>> terminalWatchers = new HashMap<>();
  private final EnumMap<JobState, Integer> jobsByState = new EnumMap<>(JobState.class);
  private final Map<String, List<JobListener>> listeners = new HashMap<>();
  private final java.util.Set<RunningJob> progressed = new java.util.LinkedHashSet<>();
  private long progressTimer = -1;
  private long seq;
  private long sweeper = -1;
  private boolean sweeping;
  private boolean shuttingDown;
  private Promise<Void> drained;

  private record Queued(Job job, List<Item> items, long seq) {
  }

  public JobEngine(Vertx vertx, FetchdConfig config, JobStore store, Fetcher fetcher, FileStore files,
                   FetchdMetrics metrics) {
    this.vertx = vertx;
    this.config = config;
    this.store = store;
    this.fetcher = fetcher;
    this.files = files;
    this.metrics = metrics;
    this.global = new AsyncSemaphore(config.fetchMaxConcurrency());
    this.hosts = new HostLimiter(vertx);
    this.robots = new RobotsCheck(vertx, fetcher, config.fetchUserAgent());
    this.claims = store instanceof JobClaims c ? c : null;
    this.shared = claims == null ? null : new SharedQueue(this, claims, config.leaseMs());
    for (JobState s : JobState.values()) {
      jobsByState.put(s, 0);
      metrics.gauge("fetchd.jobs", "Jobs known to this replica, by state", () -> jobsByState.get(s), "state", s.wire());
    }
    metrics.gauge("fetchd.queue.depth", "Jobs waiting to run (all replicas with a shared store)",
        () -> shared == null ? queue.size() : shared.queuedEverywhere());
    metrics.gauge("fetchd.queue.capacity", "Most jobs that may wait; beyond it POST /jobs answers 429",
        config::queueCapacity);
    metrics.gauge("fetchd.running.jobs", "Jobs running now", running::size);
    metrics.gauge("fetchd.running.jobs.limit", "Most jobs that run at once", config::maxRunningJobs);
    metrics.gauge("fetchd.fetch.permits.in.use", "Global fetch permits held by requests in flight", global::inUse);
    metrics.gauge("fetchd.fetch.permits.limit", "Global fetch permits", global::limit);
    metrics.gauge("fetchd.fetch.waiters", "Fetches waiting for a global permit", global::waiters);
    metrics.gauge("fetchd.host.permits.waiters", "Fetches waiting for a per-host slot", hosts::waiters);
    metrics.gauge("fetchd.host.cluster.waiters", "Fetches holding a local host slot while they wait for the cluster-wide one", hosts::clusterWaiters);
    metrics.gauge("fetchd.hosts.tracked", "Hosts with per-host politeness state", hosts::hostsTracked);
  }

  /** Starts the retention sweeper. */
  public Future<Void> start() {
    long every = Math.max(1_000, Math.min(60_000, config.jobsRetentionMs() / 4));
    sweeper = vertx.setPeriodic(every, id -> sweep());
    if (shared != null) {
      shared.start();
    }
    return Future.succeededFuture();
  }

  public void hostPermits(dev.fetchd.store.HostPermits permits) { hosts.cluster(permits, replica()); }

  /** The name of this replica in the shared queue, or null with the in-memory store. */
  public String replica() {
    return shared == null ? null : shared.replica();
  }

  /** A job was queued somewhere (a notification): claim now rather than at the next poll. */
  public void jobQueuedElsewhere() {
    pump();
  }

  /** A cancel was asked for on another replica (a notification): end the job if it runs here. */
  public void cancelRequestedElsewhere(String jobId) {
    RunningJob rj = running.get(jobId);
    if (rj != null) {
      rj.end(JobState.CANCELLED, new JobError("cancelled", "cancelled by client"),
          new ItemError(ErrorCode.CANCELLED, "job cancelled by client"));
    }
  }

  /**
   * Follows one job until it is terminal. Returns what stops following (a closed event stream calls it).
   * Listeners are dropped after the terminal state event.
   */
  public Runnable follow(String jobId, JobListener listener) {
    listeners.computeIfAbsent(jobId, k -> new ArrayList<>()).add(listener);
    if (shared != null && !running.containsKey(jobId)) {
      watchRemote(jobId, null);
    }
    return () -> {
      List<JobListener> ls = listeners.get(jobId);
      if (ls != null) {
        ls.remove(listener);
        if (ls.isEmpty()) {
          listeners.remove(jobId);
        }
      }
    };
  }

  /**
   * A followed job that runs on another replica (or still waits in the shared queue): its progress and
   * state come from the store, read every second while someone follows it. Item events are only sent by
   * the replica that runs the job.
   */
  private void watchRemote(String jobId, String lastSeen) {
    vertx.setTimer(1_000, t -> {
      if (!listeners.containsKey(jobId) || running.containsKey(jobId)) {
        return; // nobody follows any more, or it now runs here and reports itself
      }
      store.get(jobId).onComplete(ar -> {
        if (ar.failed()) {
          watchRemote(jobId, lastSeen); // the store is unreachable for now: try again
          return;
        }
        Job job = ar.result();
        if (job == null) {
          listeners.remove(jobId); // removed meanwhile (retention): nothing more will happen to it
          return;
        }
        var pr = job.progress();
        String seen = job.state() + "/" + pr.total() + "/" + pr.succeeded() + "/" + pr.failed() + "/" + pr.skipped()
            + "/" + pr.cancelled() + "/" + pr.bytes();
        boolean stateChanged = lastSeen == null || !lastSeen.startsWith(job.state() + "/");
        if (stateChanged && lastSeen != null || job.state().isTerminal()) {
          fire(jobId, l -> l.stateChanged(job));
        } else if (!seen.equals(lastSeen)) {
          fire(jobId, l -> l.progressed(job));
        }
        if (job.state().isTerminal()) {
          listeners.remove(jobId);
        } else {
          watchRemote(jobId, seen);
        }
      });
    });
  }

  boolean followed(String jobId) {
    return listeners.containsKey(jobId);
  }

  /** An item of a followed job finished: tell its listeners now, and its progress soon. */
  void itemFinished(RunningJob rj, Item item) {
    if (!followed(rj.job.id())) {
      return;
    }
    fire(rj.job.id(), l -> l.itemFinished(rj.job, item));
    progressChanged(rj);
  }

  /** Progress events are coalesced: at most one per job every 200 ms, whatever the item rate. */
  void progressChanged(RunningJob rj) {
    if (!followed(rj.job.id())) {
      return;
    }
    progressed.add(rj);
    if (progressTimer < 0) {
      progressTimer = vertx.setTimer(200, t -> {
        progressTimer = -1;
        List<RunningJob> due = List.copyOf(progressed);
        progressed.clear();
        for (RunningJob r : due) {
          fire(r.job.id(), l -> l.progressed(r.job));
        }
      });
    }
  }

  // ---- submit, read, cancel -------------------------------------------------------------------------

  /** Queues a new job, or returns the one an Idempotency-Key already names. Never blocks, never waits. */
  public Future<Submission> submit(JobSpec spec, String idempotencyKey, String requestHash, String owner) {
    if (shuttingDown) {
      metrics.jobRejected("shutting_down");
      return Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.SHUTTING_DOWN, "the service is shutting down", 5));
    }
    // keys are scoped by caller: two clients using the same key never see each other's jobs
    String scopedKey = idempotencyKey == null ? null : (owner == null ? "" : owner) + ":" + idempotencyKey;
    Future<Job> previous = scopedKey == null ? Future.succeededFuture(null) : store.findByIdempotencyKey(scopedKey);
    return previous.compose(existing -> {
      if (existing != null) {
        if (!existing.requestHash().equals(requestHash)) {
          return Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.IDEMPOTENCY_CONFLICT,
              "Idempotency-Key was already used with a different request body", 0));
        }
        return Future.succeededFuture(new Submission(existing, true));
      }
      return queuedJobs().compose(waiting -> {
      if (waiting >= config.queueCapacity()) {
        metrics.jobRejected("queue_full");
        return Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.QUEUE_FULL,
            "the job queue is full (" + config.queueCapacity() + " jobs waiting)", retryAfterSeconds()));
      }
      Job job = new Job(UUID.randomUUID().toString(), spec, Instant.now(), scopedKey, requestHash, owner);
      List<Item> items = new ArrayList<>(spec.urls().size());
      ItemKind kind = spec.type() == JobType.CRAWL ? ItemKind.PAGE : ItemKind.FILE;
      for (String url : spec.urls()) {
        Item item = new Item(job.id(), items.size(), kind, url, 0, null);
        items.add(item);
        job.progress().added(kind, ItemState.QUEUED);
      }
      Queued q = new Queued(job, items, ++seq);
      if (shared == null) {
        // reserve the queue slot before the store answers, so concurrent submits cannot overfill it
        queue.add(q);
        queuedById.put(job.id(), q);
      }
      return store.insert(job, items)
          .onFailure(err -> {
            queue.remove(q);
            queuedById.remove(job.id());
          })
          .<Submission>map(v -> null)
          .recover(err -> idempotentRace(err, scopedKey, requestHash))
          .map(replay -> {
            if (replay != null) {
              return replay;
            }
            if (shared == null) {
              // with a shared queue, the replica that claims the job counts it from then on
              jobsByState.merge(JobState.QUEUED, 1, Integer::sum);
            }
            metrics.jobSubmitted();
            log.info("job {} queued: {} with {} urls, priority {}", job.id(), spec.type().wire(), items.size(),
                spec.priority());
            pump();
            return new Submission(job, false);
          });
      });
    });
  }

  /** Jobs waiting: this engine's queue, or the shared queue of every replica. */
  private Future<Long> queuedJobs() {
    return shared == null ? Future.succeededFuture((long) queue.size()) : claims.countQueued();
  }

  /** Two replicas took the same Idempotency-Key at once: the loser answers with the winner's job. */
  private Future<Submission> idempotentRace(Throwable err, String key, String requestHash) {
    if (!(err instanceof DuplicateJobException dup) || !dup.idempotencyKey() || key == null) {
      return Future.failedFuture(err);
    }
    return store.findByIdempotencyKey(key).compose(existing -> existing != null && existing.requestHash().equals(requestHash)
        ? Future.succeededFuture(new Submission(existing, true))
        : Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.IDEMPOTENCY_CONFLICT,
            "Idempotency-Key was already used with a different request body", 0)));
  }

  /** The job, or null. A job running here is answered live; the store may lag it by a checkpoint. */
  public Future<Job> get(String id) {
    RunningJob rj = running.get(id);
    return rj != null ? Future.succeededFuture(rj.job) : store.get(id);
  }

  /** The job once it is terminal, or as it is when {@code waitMs} ran out; null if unknown. */
  public Future<Job> awaitTerminal(String id, long waitMs) {
    return get(id).compose(job -> {
      if (job == null || job.state().isTerminal() || waitMs <= 0) {
        return Future.succeededFuture(job);
      }
      if (shared != null && !running.containsKey(id)) {
        // it runs on another replica (or waits in the shared queue): watch the store
        return pollUntilTerminal(id, System.currentTimeMillis() + waitMs, job);
      }
      Promise<Job> p = Promise.promise();
      terminalWatchers.computeIfAbsent(id, k -> new ArrayList<>()).add(p);
      long timer = vertx.setTimer(waitMs, t -> {
        List<Promise<Job>> ws = terminalWatchers.get(id);
        if (ws != null) {
          ws.remove(p);
          if (ws.isEmpty()) {
            terminalWatchers.remove(id);
          }
        }
        p.tryComplete(job);
      });
      return p.future().onComplete(x -> vertx.cancelTimer(timer));
    });
  }

  /**
   * A job left this replica without ending (handed back, or taken over): whoever follows it now follows
   * it through the store, and long-polls answer with where it stands.
   */
  private void followElsewhere(Job job) {
    if (listeners.containsKey(job.id())) {
      watchRemote(job.id(), null);
    }
    List<Promise<Job>> ws = terminalWatchers.remove(job.id());
    if (ws != null) {
      ws.forEach(w -> store.get(job.id()).onComplete(ar -> w.tryComplete(ar.succeeded() && ar.result() != null
          ? ar.result() : job)));
    }
  }

  private Future<Job> pollUntilTerminal(String id, long deadline, Job last) {
    if (System.currentTimeMillis() >= deadline) {
      return Future.succeededFuture(last);
    }
    Promise<Job> p = Promise.promise();
    vertx.setTimer(200, t -> get(id).onComplete(ar -> {
      Job job = ar.succeeded() && ar.result() != null ? ar.result() : last;
      if (job.state().isTerminal()) {
        p.complete(job);
      } else {
        pollUntilTerminal(id, deadline, job).onComplete(p);
      }
    }));
    return p.future();
  }

  public Future<Page<Job>> list(JobState state, String owner, int limit, String cursor) {
    return store.list(state, owner, limit, cursor);
  }

  public Future<Page<Item>> items(String jobId, ItemState state, int limit, String cursor) {
    return store.items(jobId, state, limit, cursor);
  }

  public Future<Item> item(String jobId, int index) {
    return store.item(jobId, index);
  }

  /**
   * Cancels a job: a queued one at once; a running one by withdrawing its waiters and resetting its
   * requests, answering once it is terminal (or after a bound). A finished job is returned unchanged,
   * an unknown one as null.
   */
  public Future<Job> cancel(String id) {
    if (shared != null) {
      return cancelShared(id);
    }
    Queued q = queuedById.remove(id);
    if (q != null) {
      queue.remove(q);
      cancelQueued(q, new JobError("cancelled", "cancelled by client before it ran"));
      return Future.succeededFuture(q.job);
    }
    RunningJob rj = running.get(id);
    if (rj != null) {
      log.info("job {} cancel requested", id);
      rj.end(JobState.CANCELLED, new JobError("cancelled", "cancelled by client"),
          new ItemError(ErrorCode.CANCELLED, "job cancelled by client"));
      return awaitTerminal(id, CANCEL_WAIT_MS);
    }
    return store.get(id);
  }

  /** With several replicas: the store cancels a queued job, or tells the replica that runs it. */
  private Future<Job> cancelShared(String id) {
    JobError why = new JobError("cancelled", "cancelled by client");
    return claims.requestCancel(id, why).compose(outcome -> switch (outcome) {
      case UNKNOWN -> Future.succeededFuture((Job) null);
      case CANCELLED, FINISHED -> store.get(id);
      case REQUESTED -> {
        log.info("job {} cancel requested", id);
        cancelRequestedElsewhere(id);
        yield awaitTerminal(id, CANCEL_WAIT_MS);
      }
    });
  }

  // ---- lifecycle -------------------------------------------------------------------------------------

  /** Starts queued jobs while running slots are free. */
  void pump() {
    if (shared != null) {
      if (!shuttingDown) {
        shared.claim(config.maxRunningJobs() - running.size());
      }
      return;
    }
    while (!shuttingDown && running.size() < config.maxRunningJobs() && !queue.isEmpty()) {
      Queued q = queue.poll();
      queuedById.remove(q.job.id());
      RunningJob rj = new RunningJob(this, q.job, null);
      running.put(q.job.id(), rj);
      transition(q.job, JobState.RUNNING, null);
      rj.start(q.items, System.currentTimeMillis() + rj.limits().timeoutMs());
    }
  }

  /** A job claimed from the shared queue: already running in the store; load its items and go. */
  void startClaimed(JobClaims.Claimed claimed) {
    Job job = claimed.job();
    RunningJob stale = running.get(job.id());
    if (stale != null) {
      // this replica stalled past its own lease and claimed the job again: the old run is not ours any more
      stale.lose();
    }
    RunningJob rj = new RunningJob(this, job, claimed.lease());
    running.put(job.id(), rj);
    jobsByState.merge(JobState.RUNNING, 1, Integer::sum);
    log.info("job {} claimed by {} (attempt {})", job.id(), claimed.lease().replica(), claimed.lease().attempt());
    store.allItems(job.id()).onComplete(ar -> {
      if (ar.failed()) {
        log.error("job {}: cannot load its items; handing it back", job.id(), ar.cause());
        rj.handBack();
        rj.start(List.of(), claimed.deadline().toEpochMilli());
        return;
      }
      if (claimed.lease().attempt() > 1) {
        // a takeover: the previous replica may have stored bodies it never got to save; they are nobody's
        java.util.Set<String> referenced = new java.util.HashSet<>();
        ar.result().forEach(i -> {
          if (i.storedFile() != null) {
            referenced.add(i.storedFile());
          }
        });
        files.removeStaleTemps(job.id(), claimed.lease().attempt());
        files.removeUnreferenced(job.id(), referenced, claimed.lease().attempt()).onSuccess(n -> {
          if (n > 0) {
            log.info("job {}: removed {} bodies its previous replica stored but never saved", job.id(), n);
          }
        });
      }
      // progress is recounted from the items: a takeover must not count work twice
      Progress p = job.progress();
      for (ItemKind k : ItemKind.values()) {
        for (ItemState s : ItemState.values()) {
          p.restore(k, s, 0);
        }
      }
      for (Item item : ar.result()) {
        p.added(item.kind(), item.state());
      }
      rj.start(ar.result(), claimed.deadline().toEpochMilli());
    });
  }

  Iterable<RunningJob> runningJobs() {
    return List.copyOf(running.values());
  }

  RunningJob runningJob(String id) {
    return running.get(id);
  }

  void jobFinished(RunningJob rj, JobState state, JobError error) {
    // the job leaves "running" only once its last write is done: shutdown waits for that before the store
    // closes, so a terminal state or a hand-back is never cut off halfway
    Future<?> lastWrite = switch (rj.endMode()) {
      case LOST -> {
        log.warn("job {}: claim lost to another replica; stopped without saving", rj.job.id());
        yield Future.succeededFuture();
      }
      case HAND_BACK -> claims.release(rj.lease).onComplete(ar -> log.info("job {} handed back to the queue{}",
          rj.job.id(), ar.succeeded() && ar.result() ? "" : " (its claim had already expired)"));
      case TERMINAL -> transition(rj, state, error);
    };
    lastWrite.onComplete(x -> {
      // remove this run only: a newer claim of the same job may already be running here
      running.remove(rj.job.id(), rj);
      if (rj.endMode() != RunningJob.EndMode.TERMINAL) {
        jobsByState.merge(JobState.RUNNING, -1, Integer::sum);
        followElsewhere(rj.job);
      }
      if (shuttingDown && running.isEmpty() && drained != null) {
        drained.tryComplete();
      }
      pump();
    });
  }

  private void cancelQueued(Queued q, JobError why) {
    for (Item item : q.items) {
      if (!item.state().isFinal()) {
        ItemState from = item.state();
        item.state(ItemState.CANCELLED);
        item.error(new ItemError(ErrorCode.CANCELLED, why.message()));
        q.job.progress().moved(item.kind(), from, ItemState.CANCELLED);
      }
    }
    store.updateItems(q.items);
    transition(q.job, JobState.CANCELLED, why);
  }

  private Future<Void> transition(RunningJob rj, JobState to, JobError why) {
    return transition(rj.job, to, why, rj);
  }

  private Future<Void> transition(Job job, JobState to, JobError why) {
    return transition(job, to, why, null);
  }

  /** The one place a job changes state: checked against the state table, counted, logged, saved, announced. */
  private Future<Void> transition(Job job, JobState to, JobError why, RunningJob rj) {
    JobState from = job.state();
    job.moveTo(to, Instant.now(), why);
    jobsByState.merge(from, -1, Integer::sum);
    jobsByState.merge(to, 1, Integer::sum);
    var p = job.progress();
    Runnable logged = () -> {
      if (why == null) {
        log.info("job {} {} -> {} (succeeded {}, failed {}, bytes {})", job.id(), from.wire(), to.wire(),
            p.succeeded(), p.failed(), p.bytes());
      } else {
        log.info("job {} {} -> {}: {} (succeeded {}, failed {})", job.id(), from.wire(), to.wire(), why.message(),
            p.succeeded(), p.failed());
      }
    };
    Future<Void> saved;
    if (rj != null && rj.lease != null) {
      // with a shared store the change is only real once the fenced write took it: a replica that lost its
      // claim must not report a completion the new owner will report too
      saved = rj.saveJob().onComplete(ar -> {
        if (rj.endMode() == RunningJob.EndMode.LOST) {
          log.warn("job {}: {} -> {} not saved: the claim was lost to another replica", job.id(), from.wire(),
              to.wire());
        } else {
          logged.run();
        }
      });
    } else {
      logged.run();
      saved = store.updateJob(job);
    }
    saved = saved.onFailure(err -> log.error("job {}: saving state {} failed", job.id(), to.wire(), err));
    fire(job.id(), l -> l.stateChanged(job));
    if (to.isTerminal()) {
      listeners.remove(job.id());
      List<Promise<Job>> ws = terminalWatchers.remove(job.id());
      if (ws != null) {
        ws.forEach(w -> w.tryComplete(job));
      }
    }
    return saved;
  }

  private void fire(String jobId, java.util.function.Consumer<JobListener> event) {
    List<JobListener> ls = listeners.get(jobId);
    if (ls == null) {
      return;
    }
    for (JobListener l : List.copyOf(ls)) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("job listener failed", e);
      }
    }
  }

  /** Removes finished jobs, their items and files once they are older than the retention time. */
  private void sweep() {
    hosts.evictIdle();
    if (sweeping) {
      return; // the previous round is still deleting
    }
    sweeping = true;
    Instant cutoff = Instant.now().minusMillis(config.jobsRetentionMs());
    store.finishedBefore(cutoff, 500).compose(ids -> {
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        chain = chain.compose(v -> store.get(id)
            .compose(job -> files.deleteJob(id).compose(x -> store.delete(id)).map(x -> job))
            .onSuccess(job -> {
              if (job != null) {
                if (shared == null) {
                  // with a shared store this replica counts only what it ran, not what it purges
                  jobsByState.merge(job.state(), -1, Integer::sum);
                }
                log.info("job {} removed after retention", id);
              }
            })
            .<Void>mapEmpty()
            .recover(err -> {
              log.warn("job {}: retention cleanup failed", id, err);
              return Future.succeededFuture();
            }));
      }
      return chain;
    }).onComplete(x -> sweeping = false);
  }

  /**
   * Stops taking jobs; lets running ones finish for up to {@code graceMs}, then cancels them. Queued jobs
   * are cancelled at once (the in-memory store would lose them anyway). Completes when nothing runs.
   */
  public Future<Void> shutdown(long graceMs) {
    if (drained != null) {
      return drained.future();
    }
    shuttingDown = true;
    drained = Promise.promise();
    if (sweeper >= 0) {
      vertx.cancelTimer(sweeper);
    }
    if (shared != null) {
      shared.stopClaiming();
    }
    JobError why = new JobError("shutdown", "the service shut down before the job ran");
    for (Queued q : List.copyOf(queue)) {
      queue.remove(q);
      queuedById.remove(q.job.id());
      cancelQueued(q, why);
    }
    if (running.isEmpty()) {
      drained.tryComplete();
      return drained.future();
    }
    log.info("shutdown: waiting up to {} ms for {} running jobs", graceMs, running.size());
    vertx.setTimer(Math.max(1, graceMs), t -> {
      for (RunningJob rj : List.copyOf(running.values())) {
        if (shared != null) {
          // another replica will finish it: hand it back rather than cancel it
          rj.handBack();
        } else {
          rj.end(JobState.CANCELLED, new JobError("shutdown", "the service shut down before the job finished"),
              new ItemError(ErrorCode.CANCELLED, "service shut down"));
        }
      }
    });
    return drained.future();
  }

  /** Stops the shared queue's timers (after shutdown drained the running jobs). */
  public void stopShared() {
    if (shared != null) {
      shared.stop();
    }
  }

  public boolean shuttingDown() {
    return shuttingDown;
  }

  private long retryAfterSeconds() {
    // a rough hint: a slot frees when a running job ends; jobs are minutes long rather than hours
    return running.isEmpty() ? 1 : 5;
  }

  // ---- read-outs for metrics and tests ----------------------------------------------------------------

  public int runningCount() {
    return running.size();
  }
}
