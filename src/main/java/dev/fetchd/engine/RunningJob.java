package dev.fetchd.engine;

import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemKind;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobState;
import dev.fetchd.job.JobType;
import dev.fetchd.fetch.JobHeaders;
import dev.fetchd.files.FileStore;
import dev.fetchd.job.Limits;
import dev.fetchd.store.Lease;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * A job while it runs on this engine: its items still to fetch, the tasks in flight, its own permits and
 * its deadline. It ends when nothing is pending or in flight; if it is told to end early (cancel,
 * deadline, shutdown), it first withdraws or resets everything in flight and only then reports the
 * terminal state, so that every permit is back and every partial file gone by then.
 */
final class RunningJob {
  /** How an early end finishes: cancelled or timed out for good; handed back to the queue; or given up. */
  enum EndMode {
    /** The job ends in the state it was told (cancelled, timed out). */
    TERMINAL,
    /** Shutdown with several replicas: in-flight items go back to queued, the job back to the queue. */
    HAND_BACK,
    /** Another replica took the job over: stop, write nothing more, remove the files of unsaved items. */
    LOST
  }

  final JobEngine engine;
  final Job job;
  final AsyncSemaphore jobPermits;
  /** This replica's claim on the job: every write goes through it (fenced). */
  final Lease lease;
  private EndMode endMode = EndMode.TERMINAL;
  private final ArrayDeque<Item> pending = new ArrayDeque<>();
  private final Map<Integer, ItemTask> active = new HashMap<>();
  private final List<Item> dirty = new ArrayList<>();
  private final List<Item> unsaved = new ArrayList<>();
  private JobState ending;
  private JobError endingError;
  private ItemError endingItemError;
  private long deadlineTimer = -1;
  private CrawlFrontier frontier;
  private int expanding;
  private boolean dispatching;
  private boolean again;
  private boolean finished;
  /** False while the job's items load: an end that arrives meanwhile waits for them. */
  private boolean started;
  private int failedSaves;
  /** True while many items change at once: they are saved together afterwards. */
  private boolean bulk;
  /** The job's headers and cookies per hop (its cookie jar lives and dies with this run); null without any. */
  private JobHeaders headers;
  /** A recrawl's validators by URL, from the job named in {@code since}; {@link SinceIndex#NONE} otherwise. */
  private SinceIndex since = SinceIndex.NONE;

  RunningJob(JobEngine engine, Job job, Lease lease) {
    this.engine = engine;
    this.job = job;
    this.lease = lease;
    this.jobPermits = new AsyncSemaphore(job.spec().limits().concurrency());
  }

  /** The tag of an item's temp file: it carries the claim's attempt, so a takeover can tell a dead replica's. */
  String storedName(Item item) {
    return FileStore.tempTag(job.id(), item.index(), lease.attempt());
  }

  EndMode endMode() {
    return endMode;
  }

  /** The state an item stopped by an early end takes: queued again when the job is handed back. */
  ItemState abortedItemState() {
    return endMode == EndMode.HAND_BACK ? ItemState.QUEUED : ItemState.CANCELLED;
  }

  Limits limits() {
    return job.spec().limits();
  }

  /** Sets what a recrawl revalidates (before {@link #start}). */
  void since(SinceIndex index) {
    this.since = index;
  }

  /** What the job named in {@code since} saw at this item's URL, or null: then it is fetched unconditionally. */
  SinceIndex.Entry revalidation(Item item) {
    return since.get(item.url());
  }

  /**
   * The earlier job's item behind {@code entry}, once a 304 said its body stands; null when that body cannot be
   * served any more (its job or file removed meanwhile, by retention say), and then the URL is fetched in full.
   */
  Future<Item> earlierBody(SinceIndex.Entry entry) {
    // touched, not just looked for: a sweep deciding about that body now keeps it for its grace, by which time this
    // item is saved and counts as a reference (touch answers false for no body, or one of the old per-job layout)
    return engine.driver.item(since.jobId(), entry.index()).compose(before -> before == null || before.sha256() == null
        ? Future.succeededFuture(null)
        : engine.files.touch(before.storedFile()).map(there -> there ? before : null));
  }

  /** A recrawl's item succeeded with a 304: counted as unchanged, its (earlier) body's bytes as stored. */
  void itemUnchanged(Item item) {
    job.progress().unchangedItem();
    bytesStored(item.bytes());
  }

  void start(List<Item> items, long deadlineMs) {
    started = true;
    if (job.type() == JobType.CRAWL) {
      frontier = new CrawlFrontier(job.id(), job.spec().crawl(), items, engine.config.jobsMaxUrls());
    }
    // a crawl always keeps the cookies its responses set (a login page, then what is behind it); a download
    // gets headers per hop only when it sets request options
    if (frontier != null || !job.spec().request().isEmpty()) {
      if (frontier != null) {
        headers = new JobHeaders(job.spec().request(), frontier::inScope, frontier::takesCredentials);
      } else {
        JobOrigins origins = JobOrigins.of(items);
        headers = new JobHeaders(job.spec().request(), origins::contains, origins::contains);
      }
    }
    for (Item item : items) {
      if (item.state() == ItemState.QUEUED) {
        pending.add(item);
      }
    }
    if (ending != null) {
      // told to end while the items loaded (a cancel, say): they end now, none is left queued
      if (endMode == EndMode.TERMINAL) {
        cancelPending();
      }
      pending.clear();
      checkDone();
      return;
    }
    if (job.spec().request().unreadable()) {
      // running with "***" in place of a token would send it: the job fails, saying why
      end(JobState.FAILED, new JobError("secrets_unavailable", "the job's secret request values cannot be decrypted:"
          + " secrets.key (FETCHD_SECRETS_KEY) is not set or is not the key they were stored with"),
          new ItemError(ErrorCode.CANCELLED, "the job's secret request values cannot be decrypted"));
      return;
    }
    // the deadline is fixed when the job first starts and holds across a takeover by another replica
    deadlineTimer = engine.vertx.setTimer(Math.max(1, deadlineMs - System.currentTimeMillis()), id -> {
      deadlineTimer = -1;
      end(JobState.TIMED_OUT, new JobError("timed_out", "job deadline of " + limits().timeoutMs() + " ms passed"),
          new ItemError(ErrorCode.TIMEOUT, "job deadline passed before this item finished"));
    });
    dispatch();
    if (frontier != null && job.spec().crawl().sitemaps()) {
      seedFromSitemaps(items);
    }
  }

  /**
   * crawl.sitemaps: reads the seed origins' sitemaps alongside the seeds' own fetches and queues what they list
   * that is new and in scope. Counts as an extraction under way, so the job cannot end before it is done. Runs
   * again when another replica takes the job over; the frontier drops what was already queued.
   */
  private void seedFromSitemaps(List<Item> items) {
    List<String> seeds = items.stream().filter(i -> i.depth() == 0).map(Item::url).toList();
    CrawlFrontier f = frontier;
    expanding++;
    new SitemapSeeder(engine, job.id(), limits(), userAgent(), f::allows, job.spec().crawl().maxPages(),
        this::ending) // an ending job waits for the document in flight only, not for the rest
        .discover(seeds)
        .onComplete(ar -> {
          expanding--;
          if (ar.succeeded() && ending == null) {
            addItems(f.acceptSitemap(ar.result()));
          }
          dispatch();
        });
  }

  /** Starts as many pending items as the job's permits allow. Re-entrant calls fold into the running loop. */
  void dispatch() {
    if (dispatching) {
      again = true;
      return;
    }
    dispatching = true;
    try {
      do {
        again = false;
        while (ending == null && !pending.isEmpty() && jobPermits.tryAcquire()) {
          Item item = pending.poll();
          ItemTask task = new ItemTask(this, item, hostKey(item.url()), engine.fetchContext);
          active.put(item.index(), task);
          task.start();
        }
      } while (again);
    } finally {
      dispatching = false;
    }
    checkDone();
  }

  boolean ending() {
    return ending != null;
  }

  boolean finished() {
    return finished;
  }

  /** The job's headers and cookies for its fetches, or null when it sets none. */
  JobHeaders headers() {
    return headers;
  }

  /** The job's own User-Agent, or null for the service's. */
  String userAgent() {
    return job.spec().request().userAgent();
  }

  /** Whether this job's fetches must ask robots.txt first. */
  boolean obeysRobots() {
    return frontier != null && job.spec().crawl().robots();
  }

  /** A page was not fetched because robots.txt disallows it. */
  void skippedByRobots(Item item) {
    if (frontier != null && item.kind() == ItemKind.PAGE) {
      frontier.pageSkipped();
    }
  }

  /**
   * A crawl page was stored: extract its links within the parse budget, on the parse workers (CPU work that
   * reads the file), then queue what is new and in scope. The job cannot end while an extraction is under way.
   * A page not parsed (too large, or the extraction failed) keeps its success, says why in its error, and counts
   * in progress as {@code notParsed}.
   */
  void pageStored(Item item) {
    if (frontier == null || ending != null) {
      return;
    }
    frontier.seenAs(item.finalUrl());
    if (!frontier.expands(item) || item.storedFile() == null) {
      return;
    }
    java.nio.file.Path file = engine.files.resolve(item.storedFile());
    String base = item.finalUrl() != null ? item.finalUrl() : item.url();
    String type = item.contentType();
    int maxLinks = engine.config.crawlMaxLinksPerPage();
    expanding++;
    CrawlFrontier f = frontier;
    engine.parser.parse(file, type, base, maxLinks, item.bytes(), f::inScope)
        .onComplete(ar -> {
          expanding--;
          dev.fetchd.crawl.ParseOutcome out = ar.succeeded() ? ar.result() : dev.fetchd.crawl.ParseOutcome.notParsed(
              dev.fetchd.crawl.ParseOutcome.Reason.PARSE_FAILED, String.valueOf(ar.cause()));
          if (!out.isParsed()) {
            LoggerFactory.getLogger(RunningJob.class).atWarn().addKeyValue("jobId", job.id()).log("job {}: links of {} not extracted: {}", job.id(), base,
                out.message());
            item.error(new ItemError(ErrorCode.NOT_PARSED, out.reason().wire() + ": " + out.message()));
            job.progress().pageNotParsed();
            if (item.state().isFinal() && !dirty.contains(item)) {
              dirty.add(item); // already saved as succeeded: save it again with its note
            }
            engine.watchers.progressChanged(job);
          } else if (ending == null) {
            addItems(frontier.accept(item, base, out.links()));
          }
          dispatch();
        });
  }

  private void addItems(List<Item> items) {
    if (items.isEmpty()) {
      return;
    }
    for (Item item : items) {
      job.progress().added(item.kind(), ItemState.QUEUED);
      pending.add(item);
    }
    fenced(engine.driver.addItems(lease, items), List.of());
    engine.watchers.progressChanged(job);
  }

  ItemError endingItemError() {
    return endingItemError;
  }

  void itemMoved(Item item, ItemState to) {
    ItemState from = item.state();
    if (from == to) {
      return;
    }
    if (!from.canMoveTo(to)) {
      // an outcome never changes: a late event for a finished item is a bug, not a new outcome
      LoggerFactory.getLogger(RunningJob.class).atError().addKeyValue("jobId", job.id()).log("job {} item {}: {} -> {} is not allowed; ignored", job.id(),
          item.index(), from.wire(), to.wire());
      return;
    }
    item.state(to);
    engine.lifecycle.itemMoved(from, to);
    if (to == ItemState.FAILED && engine.webhooks != null && endMode != EndMode.LOST) {
      engine.webhooks.itemFailed(job, item);
    }
    job.progress().moved(item.kind(), from, to);
    if (to.isFinal()) {
      dirty.add(item);
      if (dirty.size() >= 256 && !bulk) {
        flushItems();
      }
      engine.watchers.itemFinished(job, item);
    } else {
      engine.watchers.progressChanged(job);
    }
  }

  void bytesStored(long n) {
    job.progress().addBytes(n);
  }

  void taskDone(ItemTask task) {
    active.remove(task.item.index());
    dispatch();
  }

  /** A backoff ended: the item goes to the front of the line. */
  void retry(ItemTask task) {
    active.remove(task.item.index());
    if (ending != null) {
      task.item.error(endingItemError);
      itemMoved(task.item, abortedItemState());
    } else {
      pending.addFirst(task.item);
    }
    dispatch();
  }

  /** Ends the job early: pending items are cancelled, in-flight ones withdrawn or reset. */
  void end(JobState state, JobError error, ItemError itemError) {
    end(state, error, itemError, EndMode.TERMINAL);
  }

  /** Stops the job and hands it back to the shared queue (shutdown): nothing is cancelled. */
  void handBack() {
    end(JobState.QUEUED, null, new ItemError(ErrorCode.CANCELLED, "handed back at shutdown"), EndMode.HAND_BACK);
  }

  /** The claim is gone (another replica runs the job now): stop without writing anything more. */
  void lose() {
    end(JobState.CANCELLED, new JobError("lost", "another replica took the job over"),
        new ItemError(ErrorCode.CANCELLED, "claim lost"), EndMode.LOST);
  }

  private void end(JobState state, JobError error, ItemError itemError, EndMode mode) {
    if (ending != null || finished) {
      if (mode == EndMode.LOST) {
        endMode = EndMode.LOST; // a lost claim overrides whatever end was under way: no more writes
      }
      return;
    }
    ending = state;
    endingError = error;
    endingItemError = itemError;
    endMode = mode;
    if (mode == EndMode.TERMINAL) {
      cancelPending();
    }
    pending.clear();
    for (ItemTask task : List.copyOf(active.values())) {
      task.abort();
    }
    checkDone();
  }

  /** Cancels every pending item, saved in one write (the store splits it) rather than one per 256 items. */
  private void cancelPending() {
    bulk = true;
    try {
      for (Item item : pending) {
        item.error(endingItemError);
        itemMoved(item, ItemState.CANCELLED);
      }
    } finally {
      bulk = false;
    }
    flushItems();
  }

  private void checkDone() {
    if (finished || !started || dispatching || expanding > 0 || !pending.isEmpty() || !active.isEmpty()) {
      return;
    }
    finished = true;
    if (deadlineTimer >= 0) {
      engine.vertx.cancelTimer(deadlineTimer);
    }
    if (endMode == EndMode.LOST) {
      discardUnsaved();
      engine.jobFinished(this, Future.succeededFuture());
      return;
    }
    // items first, then the job: a terminal job always has its items saved
    StoreRetry.run(engine.vertx, this::flushItems).onComplete(flushed -> {
      if (endMode == EndMode.LOST) {
        discardUnsaved();
        engine.jobFinished(this, Future.succeededFuture());
      } else if (endMode == EndMode.HAND_BACK) {
        engine.jobFinished(this, engine.handedBack(job.id(), engine.driver.release(lease, JobEngine.SHUTDOWN)));
      } else {
        JobState state = ending == null ? JobState.COMPLETED : ending;
        JobError error = endingError;
        if (flushed.failed()) {
          // outcomes that cannot be saved must not be reported as done: the job fails, loudly, and the bodies
          // no saved item points to go
          LoggerFactory.getLogger(RunningJob.class).atError().addKeyValue("jobId", job.id()).log("job {}: {} item outcomes could not be saved; the job ends failed",
              job.id(), dirty.size(), flushed.cause());
          state = JobState.FAILED;
          error = new JobError("store_write_failed", "item outcomes could not be saved: " + flushed.cause().getMessage());
          // the progress reported is what is saved: those items are still queued in the store
          for (Item item : dirty) {
            job.progress().moved(item.kind(), item.state(), ItemState.QUEUED);
            job.progress().addBytes(-item.bytes());
            if (item.unchanged()) {
              job.progress().restoreUnchanged(job.progress().unchanged() - 1);
            }
          }
          discardUnsaved();
        }
        engine.jobFinished(this, finish(state, error));
      }
    });
  }

  /** The terminal state: saved under the claim (retried), then recorded and announced. */
  private Future<Void> finish(JobState state, JobError error) {
    JobState from = engine.lifecycle.move(job, state, error);
    return StoreRetry.run(engine.vertx, this::saveJob).onComplete(ar -> {
      if (ar.failed()) {
        LoggerFactory.getLogger(RunningJob.class).atError().addKeyValue("jobId", job.id()).log("job {}: saving state {} failed; its claim will expire and"
            + " another attempt will run it", job.id(), state.wire(), ar.cause());
      } else if (endMode == EndMode.LOST) {
        // a replica that lost its claim must not report a completion the new owner will report too
        LoggerFactory.getLogger(RunningJob.class).atWarn().addKeyValue("jobId", job.id()).log("job {}: {} -> {} not saved: the claim was lost to another"
            + " replica", job.id(), from.wire(), state.wire());
      } else {
        engine.lifecycle.moved(job.id(), from, state, error, job);
        engine.watchers.stateChanged(job);
      }
    });
  }

  /** Saves the items that reached an outcome since the last save, in one batch. */
  Future<Void> flushItems() {
    if (dirty.isEmpty() || endMode == EndMode.LOST) {
      return Future.succeededFuture();
    }
    List<Item> batch = List.copyOf(dirty);
    dirty.clear();
    return fenced(engine.driver.updateItems(lease, batch), batch);
  }

  /** Saves the job itself (state, progress) under this replica's claim. */
  Future<Void> saveJob() {
    if (endMode == EndMode.LOST) {
      return Future.succeededFuture();
    }
    return fenced(engine.driver.updateJob(lease, job), List.of());
  }

  /** A periodic save of progress while the job runs, so other replicas and restarts see it. */
  void checkpoint() {
    if (!finished && endMode != EndMode.LOST) {
      flushItems().compose(v -> saveJob()).onComplete(ar -> {
        if (ar.failed() && ++failedSaves % 10 == 1) {
          LoggerFactory.getLogger(RunningJob.class).atWarn().addKeyValue("jobId", job.id()).log("job {}: saving progress failed ({} times); retrying: {}",
              job.id(), failedSaves, ar.cause().toString());
        } else if (ar.succeeded()) {
          failedSaves = 0;
        }
      });
    }
  }

  /** A write refused by the fence means the claim is gone: whatever was not saved is not ours to keep. */
  private Future<Void> fenced(Future<Boolean> write, List<Item> batch) {
    return write.compose(applied -> {
      if (!applied) {
        unsaved.addAll(batch);
        lose();
        if (finished) {
          discardUnsaved(); // the run already ended: nothing else will clean up after this write
        }
      }
      return Future.<Void>succeededFuture();
    }, err -> {
      // the database refused or is unreachable: keep the outcomes for the next save; the lease decides who
      // owns the job
      engine.metrics.jobStoreWriteFailed();
      dirty.addAll(0, batch);
      return Future.failedFuture(err);
    });
  }

  /**
   * Items that succeeded here but were never saved: the new owner fetches them again. Their bodies stay: in the
   * content-addressed store a body may be another item's too (or the new owner's, the same bytes fetched again);
   * one that nothing refers to is removed by the sweep ({@link BlobSweeper}).
   */
  private void discardUnsaved() {
    unsaved.clear();
    dirty.clear();
  }

  /** Host and port: the unit of politeness, from the one URL type (punycode host, default port). */
  static String hostKey(String url) {
    return dev.fetchd.crawl.NormalizedUrl.hostKey(url);
  }

}
