package dev.fetchd.engine;

import dev.fetchd.crawl.RobotsRules;
import dev.fetchd.fetch.FetchCall;
import dev.fetchd.fetch.FetchRequest;
import dev.fetchd.fetch.FetchResult;
import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Limits;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One item of a running job, from its job permit to its outcome: wait for a host slot (this replica's, then
 * the cluster's: see {@link HostLimiter}), then a global permit, then fetch; on a retryable failure give
 * every permit back, wait out the backoff, and queue again. Confined to the engine's event loop.
 */
final class ItemTask {
  private static final long BACKOFF_BASE_MS = 500;
  private static final long BACKOFF_MAX_MS = 30_000;

  private enum Stage { ROBOTS, HOST, GLOBAL, FETCH, REVALIDATED, BACKOFF, ABORTING, DONE }

  private final RunningJob job;
  private final FetchContext fetch;
  final Item item;
  private final String host;
  private final Permits permits;
  private Stage stage;
  private Future<Void> waiting;
  private FetchCall call;
  private long backoffTimer = -1;
  private long attemptStartNanos;
  /** A recrawl: what the earlier job saw at this URL (validators sent with the fetch), or null. */
  private SinceIndex.Entry earlier;

  ItemTask(RunningJob job, Item item, String host, FetchContext fetch) {
    this.job = job;
    this.fetch = fetch;
    this.item = item;
    this.host = host;
    this.permits = new Permits(job.jobPermits, fetch.hosts(), fetch.global(), host);
  }

  /** Called with the job permit already taken. */
  void start() {
    permits.holdsJob = true;
    if (!job.obeysRobots()) {
      acquireHost(job.limits().perHostDelayMs());
      return;
    }
    stage = Stage.ROBOTS;
    fetch.robots().rulesFor(item.url(), job.limits().perHostConcurrency(), job.limits().perHostDelayMs(),
        job.userAgent()).onComplete(ar -> {
      if (stage != Stage.ROBOTS) {
        return; // aborted while robots.txt was being fetched
      }
      RobotsRules rules = ar.result();
      if (!rules.allowed(item.url())) {
        item.error(new ItemError(ErrorCode.ROBOTS, rules.unreachable()
            ? "robots.txt is unreachable (5xx or no answer): the site is not crawled for a while (RFC 9309)"
            : "disallowed by robots.txt"));
        job.skippedByRobots(item);
        finish(ItemState.SKIPPED);
        return;
      }
      // Crawl-delay is honoured as a per-host delay, capped so that no site can stall a job for hours
      long crawlDelay = Math.min(Math.max(0, rules.crawlDelayMs()), fetch.maxCrawlDelayMs());
      acquireHost(Math.max(job.limits().perHostDelayMs(), crawlDelay));
    });
  }

  private void acquireHost(long delayMs) {
    stage = Stage.HOST;
    waiting = fetch.hosts().acquire(host, job.limits().perHostConcurrency(), delayMs);
    waiting.onComplete(this::hostGranted);
  }

  private void hostGranted(AsyncResult<Void> ar) {
    if (ar.failed()) {
      aborted();
      return;
    }
    permits.holdsHost = true;
    if (job.ending()) {
      abortLater();
      return;
    }
    stage = Stage.GLOBAL;
    waiting = fetch.global().acquire();
    waiting.onComplete(this::globalGranted);
  }

  private void globalGranted(AsyncResult<Void> ar) {
    if (ar.failed()) {
      aborted();
      return;
    }
    permits.holdsGlobal = true;
    if (job.ending()) {
      abortLater();
      return;
    }
    waiting = null;
    job.itemMoved(item, ItemState.RUNNING);
    fetchNow(job.revalidation(item));
  }

  /** One request for the item, conditional on what the earlier job saw when {@code earlier} is set. */
  private void fetchNow(SinceIndex.Entry earlier) {
    this.earlier = earlier;
    stage = Stage.FETCH;
    item.attemptStarted();
    attemptStartNanos = System.nanoTime();
    Limits limits = job.limits();
    FetchRequest request = FetchRequest.toFile(item.url(), job.storedName(item), limits.maxBytes(),
        limits.requestTimeoutMs());
    if (job.headers() != null) {
      request = request.with(job.headers());
    }
    call = fetch.fetcher().fetch(earlier == null ? request : request.with(earlier.validators()));
    // a fetch refused before any I/O completes synchronously; finishing on a later turn keeps the stack flat
    // when thousands of such items are dispatched in one loop
    boolean[] inline = {true};
    call.result().onComplete(r -> {
      if (inline[0]) {
        fetch.vertx().runOnContext(v -> fetched(r.result()));
      } else {
        fetched(r.result());
      }
    });
    inline[0] = false;
  }

  private void fetched(FetchResult r) {
    call = null;
    long nanos = System.nanoTime() - attemptStartNanos;
    long durationMs = nanos / 1_000_000;
    item.durationMs(item.durationMs() == null ? durationMs : item.durationMs() + durationMs);
    if (r.notModified()) {
      fetch.metrics().fetchFinished("not_modified", nanos, 0);
      notModified(r);
      return;
    }
    item.response(r.finalUrl(), r.status(), r.contentType());
    fetch.metrics().fetchFinished(r.succeeded() ? "success" : r.error().wire(), nanos,
        r.succeeded() ? r.stored().bytes() : 0);
    // the two codes of a body the file store could not take (FetchCall.fileError)
    if (r.error() == ErrorCode.DISK_FULL || r.error() == ErrorCode.IO_ERROR) {
      fetch.metrics().fileStoreWriteFailed();
    }
    if (r.succeeded()) {
      item.stored(r.stored().name(), r.stored().bytes(), r.stored().sha256());
      if (r.stored().deduplicated()) {
        fetch.metrics().bodyDeduplicated(r.stored().bytes());
      }
      item.heads(r.requestHead(), r.responseHead());
      job.bytesStored(r.stored().bytes());
      job.pageStored(item);
      finish(ItemState.SUCCEEDED);
      return;
    }
    if (job.ending()) {
      item.error(job.endingItemError());
      finish(job.abortedItemState());
      return;
    }
    item.error(new ItemError(r.error(), r.message()));
    if (r.retryable() && item.attempts() <= job.limits().retries()) {
      backoff(r.retryAfterMs());
      return;
    }
    finish(ItemState.FAILED);
  }

  /**
   * A 304 to the earlier job's validators: once that job's body is known to be still there, the item succeeds
   * unchanged with it (a page's links are extracted from it, as if fetched); if it is gone, the URL is fetched in
   * full at once, permits still held.
   */
  private void notModified(FetchResult r) {
    stage = Stage.REVALIDATED;
    job.earlierBody(earlier).onComplete(ar -> {
      if (stage != Stage.REVALIDATED) {
        return; // aborted while the earlier item was read
      }
      if (job.ending()) {
        aborted();
        return;
      }
      Item before = ar.succeeded() ? ar.result() : null;
      if (before == null) {
        fetchNow(null);
        return;
      }
      item.response(r.finalUrl(), r.status(), before.contentType());
      item.stored(before.storedFile(), before.bytes(), before.sha256());
      item.unchanged(true);
      item.heads(r.requestHead(), dev.fetchd.fetch.HttpHeads.revalidated(before.responseHead(), r.responseHead(),
          before.contentType()));
      job.itemUnchanged(item);
      job.pageStored(item);
      finish(ItemState.SUCCEEDED);
    });
  }

  private void backoff(long retryAfterMs) {
    stage = Stage.BACKOFF;
    job.itemMoved(item, ItemState.QUEUED);
    long exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(20, item.attempts() - 1));
    // full jitter between half and the whole step, so retries of many items do not arrive together
    long delay = exp / 2 + ThreadLocalRandom.current().nextLong(exp / 2 + 1);
    delay = Math.max(delay, retryAfterMs);
    permits.releaseAll();
    backoffTimer = fetch.vertx().setTimer(Math.max(1, delay), id -> {
      backoffTimer = -1;
      stage = Stage.DONE;
      job.retry(this);
    });
  }

  /** Stops this item because its job is ending: withdraws waits, resets the fetch, cancels the backoff. */
  void abort() {
    switch (stage) {
      case ROBOTS -> aborted();
      case HOST -> fetch.hosts().cancel(host, waiting);
      case GLOBAL -> fetch.global().cancel(waiting);
      case FETCH -> {
        ItemError why = job.endingItemError();
        call.cancel(why.code(), why.message());
      }
      case BACKOFF -> {
        fetch.vertx().cancelTimer(backoffTimer);
        backoffTimer = -1;
        aborted();
      }
      case REVALIDATED -> aborted();
      case ABORTING, DONE -> { }
    }
  }

  /**
   * A permit arrived for a job that is ending. It is given back on the next turn of the loop, not now: a
   * release hands the permit to the next waiter at once, and if that waiter's job is ending too, giving it
   * back at once would nest one call deeper per waiter (thousands of them when a big job is cancelled).
   */
  private void abortLater() {
    stage = Stage.ABORTING;
    fetch.vertx().runOnContext(v -> aborted());
  }

  /** The wait was withdrawn or the job ended before the fetch started. */
  private void aborted() {
    item.error(job.endingItemError() != null ? job.endingItemError()
        : new ItemError(ErrorCode.CANCELLED, "cancelled"));
    finish(job.abortedItemState());
  }

  private void finish(ItemState state) {
    stage = Stage.DONE;
    job.itemMoved(item, state);
    // permits go back after the item's outcome is recorded: a release may start another fetch at once
    permits.releaseAll();
    job.taskDone(this);
  }
}
