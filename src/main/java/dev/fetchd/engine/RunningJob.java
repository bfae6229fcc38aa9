package dev.fetchd.engine;

import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobState;
import dev.fetchd.job.Limits;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A job while it runs on this engine: its items still to fetch, the tasks in flight, its own permits and
 * its deadline. It ends when nothing is pending or in flight; if it is told to end early (cancel,
 * deadline, shutdown), it first withdraws or resets everything in flight and only then reports the
 * terminal state, so that every permit is back and every partial file gone by then.
 */
final class RunningJob {
  final JobEngine engine;
  final Job job;
  final AsyncSemaphore jobPermits;
  private final ArrayDeque<Item> pending = new ArrayDeque<>();
  private final Map<Integer, ItemTask> active = new HashMap<>();
  private final List<Item> dirty = new ArrayList<>();
  private JobState ending;
  private JobError endingError;
  private ItemError endingItemError;
  private long deadlineTimer = -1;
  private boolean dispatching;
  private boolean again;
  private boolean finished;

  RunningJob(JobEngine engine, Job job) {
    this.engine = engine;
    this.job = job;
    this.jobPermits = new AsyncSemaphore(job.spec().limits().concurrency());
  }

  Limits limits() {
    return job.spec().limits();
  }

  void start(List<Item> items) {
    for (Item item : items) {
      if (item.state() == ItemState.QUEUED) {
        pending.add(item);
      }
    }
    deadlineTimer = engine.vertx.setTimer(limits().timeoutMs(), id -> {
      deadlineTimer = -1;
      end(JobState.TIMED_OUT, new JobError("timed_out", "job deadline of " + limits().timeoutMs() + " ms passed"),
          new ItemError(ErrorCode.TIMEOUT, "job deadline passed before this item finished"));
    });
    dispatch();
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
          ItemTask task = new ItemTask(this, item, hostKey(item.url()));
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

  ItemError endingItemError() {
    return endingItemError;
  }

  void itemMoved(Item item, ItemState to) {
    ItemState from = item.state();
    if (from == to) {
      return;
    }
    item.state(to);
    job.progress().moved(from, to);
    if (to.isFinal()) {
      dirty.add(item);
      if (dirty.size() >= 256) {
        flushItems();
      }
      engine.itemFinished(this, item);
    } else {
      engine.progressChanged(this);
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
      itemMoved(task.item, ItemState.CANCELLED);
    } else {
      pending.addFirst(task.item);
    }
    dispatch();
  }

  /** Ends the job early: pending items are cancelled, in-flight ones withdrawn or reset. */
  void end(JobState state, JobError error, ItemError itemError) {
    if (ending != null || finished) {
      return;
    }
    ending = state;
    endingError = error;
    endingItemError = itemError;
    for (Item item : pending) {
      item.error(itemError);
      itemMoved(item, ItemState.CANCELLED);
    }
    pending.clear();
    for (ItemTask task : List.copyOf(active.values())) {
      task.abort();
    }
    checkDone();
  }

  private void checkDone() {
    if (finished || dispatching || !pending.isEmpty() || !active.isEmpty()) {
      return;
    }
    finished = true;
    if (deadlineTimer >= 0) {
      engine.vertx.cancelTimer(deadlineTimer);
    }
    flushItems();
    engine.jobFinished(this, ending == null ? JobState.COMPLETED : ending, endingError);
  }

  private void flushItems() {
    if (!dirty.isEmpty()) {
      List<Item> batch = List.copyOf(dirty);
      dirty.clear();
      engine.store.updateItems(batch);
    }
  }

  /** Host and port: the unit of politeness. */
  static String hostKey(String url) {
    try {
      URI u = URI.create(url);
      String host = u.getHost() == null ? "" : u.getHost().toLowerCase(Locale.ROOT);
      int port = u.getPort() > 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
      return host + ":" + port;
    } catch (IllegalArgumentException e) {
      return url;
    }
  }
}
