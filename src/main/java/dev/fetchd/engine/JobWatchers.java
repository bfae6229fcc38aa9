package dev.fetchd.engine;

import dev.fetchd.job.Item;
import dev.fetchd.job.Job;
import dev.fetchd.job.Progress;
import dev.fetchd.store.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everyone on this replica who follows a job (event streams) or waits for its end (long polls), with ONE
 * watch per job however many follow it. A job that runs here reports itself (items at once, progress
 * coalesced); a job that runs elsewhere or waits in the queue is re-read from the store when the driver says
 * it changed (NOTIFY), with a slow poll as the fallback for a lost notification. Each follower gets each
 * change once, in order. Confined to the engine's event loop.
 */
final class JobWatchers {
  private static final Logger log = LoggerFactory.getLogger(JobWatchers.class);
  private static final long PROGRESS_COALESCE_MS = 200;
  private static final long FALLBACK_POLL_MS = 5_000;

  private final Vertx vertx;
  private final JobStore store;
  /** The live job if it runs on this replica, else null. */
  private final Function<String, Job> runningHere;
  private final Consumer<Job> announced;
  private final Map<String, Watch> watches = new HashMap<>();
  private final Set<String> progressed = new LinkedHashSet<>();
  private long progressTimer = -1;

  private final class Watch {
    final String jobId;
    final List<JobListener> listeners = new ArrayList<>();
    final List<Promise<Job>> waiters = new ArrayList<>();
    String lastSeen;
    Job last;
    boolean reading;
    boolean readAgain;
    long pollTimer = -1;

    Watch(String jobId) {
      this.jobId = jobId;
    }

    boolean idle() {
      return listeners.isEmpty() && waiters.isEmpty();
    }
  }

  /**
   * @param announced told first of every change of a job running here that followers hear of (the API's copies
   *     of running jobs are refreshed by it, so a reader who heard of an item's end sees it in the job too)
   */
  JobWatchers(Vertx vertx, JobStore store, Function<String, Job> runningHere, Consumer<Job> announced) {
    this.vertx = vertx;
    this.store = store;
    this.runningHere = runningHere;
    this.announced = announced;
  }

  /** Follows a job until it is terminal, from {@code seen} (or null); returns what stops following. */
  Runnable follow(String jobId, Job seen, JobListener listener) {
    boolean fresh = !watches.containsKey(jobId);
    Watch w = watch(jobId);
    if (fresh && seen != null && w.lastSeen == null) {
      w.last = seen;
      w.lastSeen = signature(seen);
    }
    w.listeners.add(listener);
    if (w.last != null && seen != null && !signature(seen).equals(w.lastSeen)) {
      // the watch knows a newer job than this follower was shown (it runs here, or others follow it already):
      // the change in between comes now, or the follower would miss a start until the next state change
      Job now = w.last;
      boolean moved = seen.state() != now.state();
      fire(List.of(listener), l -> {
        if (moved) {
          l.stateChanged(now);
        } else {
          l.progressed(now);
        }
      });
    }
    if (fresh) {
      catchUp(w);
    }
    return () -> {
      w.listeners.remove(listener);
      dropIfIdle(w);
    };
  }

  /** The job once terminal, or {@code current} (or newer) when {@code waitMs} ran out. */
  Future<Job> awaitTerminal(Job current, long waitMs) {
    Watch w = watch(current.id());
    if (w.last == null) {
      w.last = current;
    }
    Promise<Job> p = Promise.promise();
    w.waiters.add(p);
    catchUp(w);
    long timer = vertx.setTimer(waitMs, t -> {
      w.waiters.remove(p);
      Job live = runningHere.apply(w.jobId);
      p.tryComplete(live != null ? live : w.last);
      dropIfIdle(w);
    });
    return p.future().onComplete(x -> vertx.cancelTimer(timer));
  }

  boolean followed(String jobId) {
    return watches.containsKey(jobId);
  }

  /** Jobs with a watch now: each stream or long poll that left without unfollowing would keep one. */
  int watched() {
    return watches.size();
  }

  // ---- events of jobs that run here --------------------------------------------------------------------

  /** A job that runs here changed state. */
  void stateChanged(Job job) {
    announced.accept(job);
    Watch w = watches.get(job.id());
    if (w == null) {
      return;
    }
    w.last = job;
    w.lastSeen = signature(job);
    fire(w, l -> l.stateChanged(job));
    if (job.state().isTerminal()) {
      ended(w, job);
    }
  }

  /** An item of a job that runs here finished: its followers hear of it now, of progress soon. */
  void itemFinished(Job job, Item item) {
    announced.accept(job);
    Watch w = watches.get(job.id());
    if (w == null || w.listeners.isEmpty()) {
      return;
    }
    fire(w, l -> l.itemFinished(job, item));
    progressChanged(job);
  }

  /** Progress events are coalesced: at most one per job every 200 ms, whatever the item rate. */
  void progressChanged(Job job) {
    Watch w = watches.get(job.id());
    if (w == null || w.listeners.isEmpty()) {
      return;
    }
    progressed.add(job.id());
    if (progressTimer < 0) {
      progressTimer = vertx.setTimer(PROGRESS_COALESCE_MS, t -> {
        progressTimer = -1;
        List<String> due = List.copyOf(progressed);
        progressed.clear();
        for (String id : due) {
          Watch dw = watches.get(id);
          Job live = runningHere.apply(id);
          if (dw != null && live != null) {
            dw.last = live;
            dw.lastSeen = signature(live);
            fire(dw, l -> l.progressed(live));
          }
        }
      });
    }
  }

  /** A job left this replica without ending (handed back, taken over): follow it through the store now. */
  void leftHere(String jobId) {
    Watch w = watches.get(jobId);
    if (w != null) {
      read(w);
    }
  }

  // ---- jobs that run elsewhere ---------------------------------------------------------------------------

  /** The driver says a job's saved state changed (a notification): re-read it if it is followed here. */
  void changedInStore(String jobId) {
    Watch w = watches.get(jobId);
    if (w != null && runningHere.apply(jobId) == null) {
      read(w);
    }
  }

  /** One read in flight per watch; a change announced meanwhile folds into one more read. */
  private void read(Watch w) {
    if (w.reading) {
      w.readAgain = true;
      return;
    }
    w.reading = true;
    store.get(w.jobId).onComplete(ar -> {
      w.reading = false;
      if (watches.get(w.jobId) != w) {
        return; // dropped meanwhile
      }
      if (runningHere.apply(w.jobId) != null) {
        return; // it came to run here: it reports itself
      }
      if (ar.failed()) {
        log.atDebug().addKeyValue("jobId", w.jobId).log("job {}: re-reading it for its watchers failed: {}", w.jobId, ar.cause().toString());
      } else if (ar.result() == null) {
        // removed meanwhile (retention): nothing more will happen to it
        ended(w, w.last);
        return;
      } else {
        seen(w, ar.result());
        if (watches.get(w.jobId) != w) {
          return;
        }
      }
      if (w.readAgain) {
        w.readAgain = false;
        read(w);
      }
    });
  }

  private void seen(Watch w, Job job) {
    String sig = signature(job);
    String before = w.lastSeen;
    w.last = job;
    w.lastSeen = sig;
    if (sig.equals(before)) {
      return;
    }
    boolean stateChanged = before == null || !before.startsWith(job.state().wire() + "/");
    if (stateChanged || job.state().isTerminal()) {
      fire(w, l -> l.stateChanged(job));
    } else {
      fire(w, l -> l.progressed(job));
    }
    if (job.state().isTerminal()) {
      ended(w, job);
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------------

  private Watch watch(String jobId) {
    Watch w = watches.get(jobId);
    if (w == null) {
      w = new Watch(jobId);
      watches.put(jobId, w);
      Job live = runningHere.apply(jobId);
      if (live != null) {
        w.last = live;
        w.lastSeen = signature(live);
      }
      poll(w);
    }
    return w;
  }

  /**
   * The caller read the job a moment ago, off this loop: if it does not run here, it may have ended since (here or
   * elsewhere) and no notice of that end comes again. Read it once now rather than wait for the slow poll.
   */
  private void catchUp(Watch w) {
    if (runningHere.apply(w.jobId) == null) {
      read(w);
    }
  }

  /** The fallback for a lost notification: a slow re-read while the job runs elsewhere. */
  private void poll(Watch w) {
    w.pollTimer = vertx.setTimer(FALLBACK_POLL_MS, t -> {
      if (watches.get(w.jobId) != w) {
        return;
      }
      if (runningHere.apply(w.jobId) == null) {
        read(w);
      }
      poll(w);
    });
  }

  private void ended(Watch w, Job job) {
    watches.remove(w.jobId, w);
    progressed.remove(w.jobId);
    vertx.cancelTimer(w.pollTimer);
    w.listeners.clear();
    List<Promise<Job>> ws = List.copyOf(w.waiters);
    w.waiters.clear();
    ws.forEach(p -> p.tryComplete(job));
  }

  private void dropIfIdle(Watch w) {
    if (w.idle() && watches.get(w.jobId) == w) {
      watches.remove(w.jobId);
      progressed.remove(w.jobId);
      vertx.cancelTimer(w.pollTimer);
    }
  }

  private static void fire(Watch w, Consumer<JobListener> event) {
    fire(List.copyOf(w.listeners), event);
  }

  private static void fire(List<JobListener> listeners, Consumer<JobListener> event) {
    for (JobListener l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        log.warn("job listener failed", e);
      }
    }
  }

  /** What a follower can see of a job: its state and every count. */
  private static String signature(Job job) {
    Progress p = job.progress();
    return job.state().wire() + "/" + p.total() + "/" + p.queued() + "/" + p.running() + "/" + p.succeeded() + "/"
        + p.failed() + "/" + p.skipped() + "/" + p.cancelled() + "/" + p.bytes();
  }
}
