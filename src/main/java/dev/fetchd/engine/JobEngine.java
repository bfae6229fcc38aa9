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
import dev.fetchd.job.Progress;
import dev.fetchd.metrics.FetchdMetrics;
import dev.fetchd.store.DuplicateJobException;
import dev.fetchd.store.JobClaims;
import dev.fetchd.store.JobDriver;
import dev.fetchd.store.Page;
import dev.fetchd.store.WebhookStore;
import dev.fetchd.webhook.WebhookDispatcher;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs jobs on this replica: submit, the jobs running here, cancel and shutdown. It takes and gives back
 * work only through the {@link JobDriver} (claims with leases, fenced writes, hand-back, cancel requests,
 * notifications), the same way with one replica in memory and with many on PostgreSQL. Its maintenance
 * lives beside it: {@link Claimer} (claims and heartbeats), {@link Rescuer} (expired claims, attempts),
 * {@link Cleaner} (retention), {@link JobWatchers} (followers and long polls), {@link Lifecycle} (every state
 * change). Every method must be called on the event loop of the verticle that created it; that single thread
 * is what makes the absence of locks correct. Knows nothing of HTTP routes.
 */
public final class JobEngine {
  private static final Logger log = LoggerFactory.getLogger(JobEngine.class);
  private static final long CANCEL_WAIT_MS = 10_000;
  private static final int ITEMS_ON_LOOP = 2_000;
  private static final long WEBHOOK_GRACE_MS = 2_000;
  static final JobError SHUTDOWN = new JobError("shutdown", "the service shut down before the job finished");
  private static final JobError BY_CLIENT = new JobError("cancelled", "cancelled by client");

  final Vertx vertx;
  final FetchdConfig config;
  final JobDriver driver;
  final Fetcher fetcher;
  final FileStore files;
  final FetchdMetrics metrics;
  final AsyncSemaphore global;
  final HostLimiter hosts;
  final RobotsCheck robots;
  final dev.fetchd.crawl.PageParser parser;
  final FetchContext fetchContext;
  final Lifecycle lifecycle;
  final JobWatchers watchers;
  private final JobSnapshots snapshots = new JobSnapshots();
  private long snapshotTimer = -1;
  private final Claimer claimer;
  private final Rescuer rescuer;
  private final Cleaner cleaner;
  private final BlobSweeper blobSweeper;
  /** Null without webhooks. */
  private final MissedEndEvents missedEndEvents;
  /** Webhook deliveries; null when this engine sends none. */
  final WebhookDispatcher webhooks;

  /** The context whose event loop owns every job here: calls from elsewhere (the API's loop) hop onto it. */
  private final ContextInternal context;
  private final Map<String, RunningJob> running = new HashMap<>();
  private boolean shuttingDown;
  private Promise<Void> drained;

  public JobEngine(Vertx vertx, FetchdConfig config, JobDriver driver, Fetcher fetcher, FileStore files,
                   FetchdMetrics metrics) {
    this(vertx, config, driver, fetcher, files, metrics, null);
  }

  /** An engine that tells {@code webhooks} of job and item events (null: none). */
  public JobEngine(Vertx vertx, FetchdConfig config, JobDriver driver, Fetcher fetcher, FileStore files,
                   FetchdMetrics metrics, WebhookDispatcher webhooks) {
    this.vertx = vertx;
    this.context = (ContextInternal) vertx.getOrCreateContext();
    this.webhooks = webhooks;
    this.config = config;
    this.driver = driver;
    this.fetcher = fetcher;
    this.files = files;
    this.metrics = metrics;
    this.global = new AsyncSemaphore(config.fetchMaxConcurrency());
    this.hosts = new HostLimiter(vertx);
    this.robots = new RobotsCheck(vertx, fetcher, config.fetchUserAgent(), hosts, global);
    this.parser = dev.fetchd.crawl.PageParser.create(vertx, config, metrics);
    this.fetchContext = new FetchContext(vertx, hosts, global, robots, fetcher, metrics, config.crawlMaxCrawlDelayMs());
    this.lifecycle = new Lifecycle(vertx, driver, metrics);
    if (webhooks != null) {
      // a change made in SQL (a queued job cancelled, a takeover that gave up) names the job only: read it
      lifecycle.onTerminal((id, job) -> (job != null ? Future.succeededFuture(job) : driver.get(id)).onSuccess(j -> {
        if (j != null && j.state().isTerminal()) {
          webhooks.jobEnded(j);
        }
      }));
    }
    this.watchers = new JobWatchers(vertx, driver, id -> {
      RunningJob rj = running.get(id);
      return rj == null || rj.finished() ? null : rj.job;
    }, job -> {
      RunningJob rj = running.get(job.id());
      if (rj != null && rj.job == job) { // not a run that lost its claim and is winding down
        snapshots.refresh(job);
      }
    });
    this.claimer = new Claimer(this, driver, config.leaseMs());
    // per-host politeness holds for the whole cluster: the driver's host permits behind the local limiter
    hosts.cluster(driver.hostPermits(), claimer.replica());
    this.rescuer = new Rescuer(vertx, driver, lifecycle, config.jobsMaxAttempts(), this::pump, metrics);
    this.cleaner = new Cleaner(vertx, driver, files, hosts, config.jobsRetentionMs(), lifecycle::removed);
    this.blobSweeper = new BlobSweeper(vertx, driver.blobs(), files, config.filesSweepGraceMs(), metrics);
    this.missedEndEvents = webhooks == null ? null : new MissedEndEvents(vertx, driver, webhooks);
    metrics.gauge("fetchd.queue.capacity", "Most jobs that may wait; beyond it POST /jobs answers 429",
        config::queueCapacity);
    metrics.gauge("fetchd.running.jobs", "Jobs running on this replica now", running::size);
    metrics.gauge("fetchd.running.jobs.limit", "Most jobs that run at once on this replica", config::maxRunningJobs);
    metrics.gauge("fetchd.fetch.permits.in.use", "Global fetch permits held by requests in flight", global::inUse);
    metrics.gauge("fetchd.fetch.permits.limit", "Global fetch permits", global::limit);
    metrics.gauge("fetchd.fetch.waiters", "Fetches waiting for a global permit", global::waiters);
    metrics.gauge("fetchd.host.permits.waiters", "Fetches waiting for a per-host slot", hosts::waiters);
    metrics.gauge("fetchd.host.cluster.waiters", "Fetches holding a local host slot while they wait for the cluster-wide one", hosts::clusterWaiters);
    metrics.gauge("fetchd.jobs.followed", "Jobs that event streams or long polls on this replica follow now",
        watchers::watched);
    metrics.gauge("fetchd.hosts.tracked", "Hosts with per-host politeness state", hosts::hostsTracked);
  }

  /** Listens to the driver, starts the maintenance services, and takes the first jobs. */
  public Future<Void> start() {
    return driver.listen(new JobDriver.Listener() {
      @Override
      public void jobQueued() {
        pump();
      }

      @Override
      public void cancelRequested(String jobId) {
        JobEngine.this.cancelRequested(jobId);
      }

      @Override
      public void jobChanged(String jobId) {
        watchers.changedInStore(jobId);
        lifecycle.changed();
      }
    }).onSuccess(v -> {
      claimer.start();
      snapshotTimer = vertx.setPeriodic(JobSnapshots.REFRESH_MS, t -> running.values().forEach(rj -> snapshots.refresh(rj.job)));
      rescuer.start();
      cleaner.start();
      blobSweeper.start();
      lifecycle.start();
      if (webhooks != null) {
        webhooks.start();
        missedEndEvents.start();
      }
      pump();
    });
  }

  /** The name of this replica in the queue. */
  public String replica() {
    return claimer.replica();
  }

  /** A cancel was asked for (here or on another replica): end the job if it runs here. */
  void cancelRequested(String jobId) {
    RunningJob rj = running.get(jobId);
    if (rj != null) {
      rj.end(JobState.CANCELLED, BY_CLIENT, new ItemError(ErrorCode.CANCELLED, "job cancelled by client"));
    }
  }

  /**
   * Follows one job until it is terminal. Returns what stops following (a closed event stream calls it).
   * Listeners are dropped after the terminal state event.
   */
  public Runnable follow(String jobId, JobListener listener) {
    return follow(jobId, null, listener);
  }

  /** Follows a job from {@code seen}, what the follower was already shown: only later changes are sent. */
  public Runnable follow(Job seen, JobListener listener) {
    return follow(seen.id(), seen, listener);
  }

  /**
   * A follower on another event loop (the API's) hears each event on its own loop, in order, with copies of the
   * job and item made on this one; it starts and stops following through this loop.
   */
  private Runnable follow(String jobId, Job seen, JobListener listener) {
    if (onEngineLoop()) {
      return watchers.follow(jobId, seen, listener);
    }
    ContextInternal caller = (ContextInternal) vertx.getOrCreateContext();
    JobListener relay = new JobListener() {
      @Override
      public void stateChanged(Job job) {
        Job j = job.copy();
        caller.runOnContext(v -> listener.stateChanged(j));
      }

      @Override
      public void itemFinished(Job job, Item item) {
        Job j = job.copy();
        Item i = item.copy();
        caller.runOnContext(v -> listener.itemFinished(j, i));
      }

      @Override
      public void progressed(Job job) {
        Job j = job.copy();
        caller.runOnContext(v -> listener.progressed(j));
      }
    };
    Runnable[] stop = {null};
    boolean[] stopped = {false};
    context.runOnContext(v -> {
      if (!stopped[0]) {
        stop[0] = watchers.follow(jobId, seen, relay);
      }
    });
    return () -> context.runOnContext(v -> {
      stopped[0] = true;
      if (stop[0] != null) {
        stop[0].run();
      }
    });
  }

  /**
   * Runs {@code op} on the engine's event loop. Called from there it runs at once; from anywhere else (the API's
   * loop, a test thread) it hops over, and the answer, {@code detach}ed there (a copy of live job state), completes
   * on the caller's context.
   */
  public <T> Future<T> onLoop(java.util.function.Supplier<Future<T>> op, java.util.function.UnaryOperator<T> detach) {
    if (onEngineLoop()) {
      return op.get();
    }
    ContextInternal caller = (ContextInternal) Vertx.currentContext();
    Promise<T> answer = caller != null ? caller.promise() : Promise.promise();
    context.runOnContext(v -> {
      Future<T> f;
      try {
        f = op.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.map(r -> r == null ? null : detach.apply(r)).onComplete(answer);
    });
    return answer.future();
  }

  private boolean onEngineLoop() {
    return context.nettyEventLoop().inEventLoop();
  }

  // ---- submit, read, cancel -------------------------------------------------------------------------

  /** Queues a new job, or returns the one an Idempotency-Key already names. Never blocks, never waits. */
  public Future<Submission> submit(JobSpec spec, String idempotencyKey, String requestHash, String owner) {
    return onLoop(() -> {
      if (shuttingDown) {
        metrics.jobRejected("shutting_down");
        return Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.SHUTTING_DOWN, "the service is shutting down", 5));
      }
      // keys are scoped by caller: two clients using the same key never see each other's jobs
      String scopedKey = idempotencyKey == null ? null : (owner == null ? "" : owner) + ":" + idempotencyKey;
      Future<Job> previous = scopedKey == null ? Future.succeededFuture(null) : driver.findByIdempotencyKey(scopedKey);
      return previous.compose(existing -> {
        if (existing != null) {
          if (!existing.requestHash().equals(requestHash)) {
            return Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.IDEMPOTENCY_CONFLICT,
                "Idempotency-Key was already used with a different request body", 0));
          }
          return Future.succeededFuture(new Submission(existing, true));
        }
        Job job = new Job(UUID.randomUUID().toString(), spec, Instant.now(), scopedKey, requestHash, owner);
        // a job of 100,000 URLs is 100,000 objects: built on a worker, out of the loop's way
        Future<List<Item>> made = spec.urls().size() <= ITEMS_ON_LOOP ? Future.succeededFuture(itemsOf(job))
            : vertx.executeBlocking(() -> itemsOf(job), false);
        // the count of waiting jobs and the insert are one step in the driver, across every replica
        return made.compose(items -> driver.submit(job, items, config.queueCapacity())
            .onFailure(this::submitFailed)
            .<Submission>compose(accepted -> {
              if (!accepted) {
                metrics.jobRejected("queue_full");
                return Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.QUEUE_FULL,
                    "the job queue is full (" + config.queueCapacity() + " jobs waiting)", retryAfterSeconds()));
              }
              metrics.jobSubmitted();
              lifecycle.created(job, items.size());
              pump();
              return Future.succeededFuture(new Submission(job, false));
            }))
            .recover(err -> err instanceof SubmitRefused ? Future.failedFuture(err)
                : idempotentRace(err, scopedKey, requestHash));
      });
    }, sub -> new Submission(sub.job().copy(), sub.replayed()));
  }

  /** The first items of a new job, one per URL, counted in its progress. Touches only the new job. */
  private static List<Item> itemsOf(Job job) {
    JobSpec spec = job.spec();
    List<Item> items = new ArrayList<>(spec.urls().size());
    ItemKind kind = spec.type() == JobType.CRAWL ? ItemKind.PAGE : ItemKind.FILE;
    for (String url : spec.urls()) {
      items.add(new Item(job.id(), items.size(), kind, url, 0, null));
      job.progress().added(kind, ItemState.QUEUED);
    }
    return items;
  }

  /** The insert of a new job failed; a duplicate key is the idempotency race, a refusal by design, not a failure. */
  private void submitFailed(Throwable err) {
    if (!(err instanceof DuplicateJobException)) {
      metrics.jobStoreWriteFailed();
    }
  }

  /** Two replicas took the same Idempotency-Key at once: the loser answers with the winner's job. */
  private Future<Submission> idempotentRace(Throwable err, String key, String requestHash) {
    if (!(err instanceof DuplicateJobException dup) || !dup.idempotencyKey() || key == null) {
      return Future.failedFuture(err);
    }
    return driver.findByIdempotencyKey(key).compose(existing -> existing != null && existing.requestHash().equals(requestHash)
        ? Future.succeededFuture(new Submission(existing, true))
        : Future.failedFuture(new SubmitRefused(SubmitRefused.Reason.IDEMPOTENCY_CONFLICT,
            "Idempotency-Key was already used with a different request body", 0)));
  }

  /** The job, or null. A job running here is answered live; the store may lag it by a checkpoint. */
  /**
   * A job running here as it was at most {@link JobSnapshots#REFRESH_MS} ago, from any thread without a hop to
   * the engine's loop; null when it does not run here (then {@link #get} reads it). Read it, never change it.
   */
  public Job peek(String id) {
    return snapshots.peek(id);
  }

  public Future<Job> get(String id) {
    return onLoop(() -> {
      RunningJob rj = running.get(id);
      return rj != null ? Future.succeededFuture(rj.job) : driver.get(id);
    }, Job::copy);
  }

  /** The job once it is terminal, or as it is when {@code waitMs} ran out; null if unknown. */
  public Future<Job> awaitTerminal(String id, long waitMs) {
    return onLoop(() -> get(id).compose(job -> job == null || job.state().isTerminal() || waitMs <= 0
        ? Future.succeededFuture(job)
        : watchers.awaitTerminal(job, waitMs)), Job::copy);
  }

  /** As {@link #awaitTerminal(String, long)} for a job just read: no second read when there is nothing to wait for. */
  public Future<Job> awaitTerminal(Job seen, long waitMs) {
    return onLoop(() -> seen.state().isTerminal() || waitMs <= 0 ? Future.succeededFuture(seen)
        : watchers.awaitTerminal(seen, waitMs), Job::copy);
  }

  public Future<Page<Job>> list(JobState state, String owner, int limit, String cursor) {
    return onLoop(() -> driver.list(state, owner, limit, cursor), page -> page);
  }

  public Future<Page<Item>> items(String jobId, ItemState state, int limit, String cursor) {
    return onLoop(() -> driver.items(jobId, state, limit, cursor), page -> page);
  }

  public Future<Item> item(String jobId, int index) {
    return onLoop(() -> driver.item(jobId, index), item -> item);
  }

  /**
   * Cancels a job wherever it is: a queued one at once (in the driver); a running one by asking its replica
   * (this one or another), answering once it is terminal or after a bound. A finished job is returned
   * unchanged, an unknown one as null. Idempotent.
   */
  public Future<Job> cancel(String id) {
    return onLoop(() -> {
      return driver.requestCancel(id, BY_CLIENT).compose(outcome -> switch (outcome) {
        case UNKNOWN -> Future.succeededFuture((Job) null);
        case FINISHED -> driver.get(id);
        case CANCELLED -> {
          lifecycle.moved(id, JobState.QUEUED, JobState.CANCELLED, BY_CLIENT);
          yield driver.get(id);
        }
        case REQUESTED -> {
          log.atInfo().addKeyValue("jobId", id).log("job {} cancel requested", id);
          cancelRequested(id);
          yield awaitTerminal(id, CANCEL_WAIT_MS);
        }
      });
    }, Job::copy);
  }

  /** A job's webhook deliveries, oldest first. */
  public Future<Page<WebhookStore.Delivery>> deliveries(String jobId, int limit, String cursor) {
    return onLoop(() -> driver.webhooks().deliveries(jobId, limit, cursor), page -> page);
  }

  /** Why a webhook URL is refused at submission (the address guard), or null when it may be used. */
  public Future<String> webhookRefusal(String url) {
    return webhooks == null ? Future.succeededFuture(null) : onLoop(() -> webhooks.refusal(url), why -> why);
  }

  // ---- lifecycle -------------------------------------------------------------------------------------

  /** Claims queued jobs while running slots are free. */
  void pump() {
    if (!shuttingDown) {
      claimer.claim(config.maxRunningJobs() - running.size());
    }
  }

  /** A job claimed from the queue: already running in the driver; load its items and go. */
  void startClaimed(JobClaims.Claimed claimed) {
    Job job = claimed.job();
    RunningJob stale = running.get(job.id());
    if (stale != null) {
      // this replica stalled past its own lease and claimed the job again: the old run is not ours any more
      stale.lose();
    }
    RunningJob rj = new RunningJob(this, job, claimed.lease());
    running.put(job.id(), rj);
    lifecycle.moved(job.id(), JobState.QUEUED, JobState.RUNNING, new JobError("claimed",
        "claimed by " + claimed.lease().replica() + " (attempt " + claimed.lease().attempt() + ")"));
    watchers.stateChanged(job);
    // a cancel, deadline or hand-back that arrives while the items load is applied once they are loaded
    driver.allItems(job.id()).onComplete(ar -> {
      if (ar.failed()) {
        log.atError().addKeyValue("jobId", job.id()).log("job {}: cannot load its items; handing it back", job.id(), ar.cause());
        rj.handBack();
        rj.start(List.of(), claimed.deadline().toEpochMilli());
        return;
      }
      if (claimed.lease().attempt() > 1) {
        removeLeftovers(job.id(), claimed.lease().attempt());
      }
      // progress is recounted from the items: a takeover must not count work twice
      Progress p = new Progress();
      for (Item item : ar.result()) {
        p.added(item.kind(), item.state());
        p.addBytes(item.bytes());
        if (item.unchanged() && item.state() == ItemState.SUCCEEDED) {
          p.unchangedItem();
        }
      }
      p.restoreNotParsed(job.progress().notParsed()); // pages left unparsed are not in the items' states
      job.progress().restoreFrom(p);
      loadSince(job).onComplete(since -> {
        rj.since(since.result());
        rj.start(ar.result(), claimed.deadline().toEpochMilli());
      });
    });
  }

  /**
   * A recrawl's index of the earlier job's validators, read from the store by whichever replica runs the job (a
   * takeover reads it again). A store that cannot give it does not stop the job: it runs without validators,
   * fetching everything in full, as a job without {@code since} would.
   */
  private Future<SinceIndex> loadSince(Job job) {
    String since = job.spec().since();
    if (since == null) {
      return Future.succeededFuture(SinceIndex.NONE);
    }
    return SinceIndex.load(driver, since, config.jobsMaxUrls())
        .onSuccess(index -> log.atInfo().addKeyValue("jobId", job.id()).log("job {}: revalidating {} URLs of job {}",
            job.id(), index.size(), since))
        .recover(err -> {
          log.atWarn().addKeyValue("jobId", job.id()).log("job {}: cannot read job {} to revalidate its URLs; fetching"
              + " them in full", job.id(), since, err);
          return Future.succeededFuture(SinceIndex.NONE);
        });
  }

  /**
   * A takeover: the previous replica may have left partial bodies. Bodies it stored but never got to save an item
   * for are nobody's: the sweep removes them ({@link BlobSweeper}), as a body may be another item's too.
   */
  private void removeLeftovers(String jobId, int attempt) {
    files.removeStaleTemps(jobId, attempt);
  }

  Iterable<RunningJob> runningJobs() {
    return List.copyOf(running.values());
  }

  RunningJob runningJob(String id) {
    return running.get(id);
  }

  /** A run ended here: its last write is done (or failed); the job leaves this replica. */
  void jobFinished(RunningJob rj, Future<?> lastWrite) {
    // the job leaves "running" only once its last write is done: shutdown waits for that before the store
    // closes, so a terminal state or a hand-back is never cut off halfway
    lastWrite.onComplete(x -> {
      // remove this run only: a newer claim of the same job may already be running here
      if (running.remove(rj.job.id(), rj)) {
        snapshots.drop(rj.job.id());
      }
      if (!rj.job.state().isTerminal()) {
        watchers.leftHere(rj.job.id());
      }
      if (shuttingDown && running.isEmpty() && drained != null) {
        drained.tryComplete();
      }
      pump();
    });
  }

  /** A job handed back to the driver: record where it went (queued again, or cancelled in memory). */
  Future<?> handedBack(String jobId, Future<JobClaims.Moved> release) {
    return release.onComplete(ar -> {
      if (ar.failed()) {
        metrics.jobStoreWriteFailed();
        log.atWarn().addKeyValue("jobId", jobId).log("job {}: handing it back failed ({}); its claim will expire", jobId, ar.cause().toString());
      } else if (ar.result() == null) {
        log.atInfo().addKeyValue("jobId", jobId).log("job {}: not handed back, its claim had already expired", jobId);
      } else {
        JobClaims.Moved m = ar.result();
        lifecycle.moved(jobId, m.from(), m.to(), m.to() == JobState.QUEUED ? new JobError("handed_back",
            "handed back to the queue at shutdown") : m.error());
      }
    });
  }

  /**
   * Stops taking jobs; lets running ones finish for up to {@code graceMs}, then hands them back to the queue
   * (another replica finishes them; in memory, nobody can, so they end cancelled). Completes when nothing
   * runs here.
   */
  public Future<Void> shutdown(long graceMs) {
    if (drained != null) {
      return drained.future();
    }
    shuttingDown = true;
    drained = Promise.promise();
    cleaner.stop();
    blobSweeper.stop();
    rescuer.stop();
    claimer.stopClaiming();
    if (running.isEmpty()) {
      drained.tryComplete();
      return drained.future();
    }
    log.info("shutdown: waiting up to {} ms for {} running jobs", graceMs, running.size());
    vertx.setTimer(Math.max(1, graceMs), t -> {
      for (RunningJob rj : List.copyOf(running.values())) {
        rj.handBack();
      }
    });
    return drained.future();
  }

  /** Stops the timers and notifications (after shutdown drained the running jobs). */
  public Future<Void> stop() {
    vertx.cancelTimer(snapshotTimer);
    claimer.stop();
    rescuer.stop();
    cleaner.stop();
    blobSweeper.stop();
    lifecycle.stop();
    if (missedEndEvents != null) {
      missedEndEvents.stop();
    }
    // deliveries in flight get a moment to be recorded before the store closes
    Future<Void> sent = webhooks == null ? Future.succeededFuture() : webhooks.stop(WEBHOOK_GRACE_MS);
    return sent.compose(v -> driver.unlisten());
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
