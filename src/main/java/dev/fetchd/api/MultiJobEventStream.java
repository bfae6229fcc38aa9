package dev.fetchd.api;

import dev.fetchd.engine.JobEngine;
import dev.fetchd.engine.JobListener;
import dev.fetchd.job.Job;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /events?jobs=...}: one Server-Sent Events stream for many jobs (a dashboard's page of running
 * jobs on one connection instead of one per job). On connect, in the order asked: {@code missing} for a job
 * the caller cannot see, else its {@code progress} and {@code state}; then their changes as they happen
 * (progress coalesced by the engine), without item events. It ends once every job is terminal or missing.
 *
 * <p>A slow reader: while the write queue is full, progress events are skipped (state events never are);
 * once it drains, each job that missed one gets its latest progress.
 */
final class MultiJobEventStream {
  private final SseStream sse;
  /** The jobs still followed: not terminal yet. */
  private final List<Followed> following = new ArrayList<>();

  private MultiJobEventStream(SseStream sse) {
    this.sse = sse;
  }

  /**
   * @param jobs the jobs of {@code ids}, read just now, in the same order; null for one the caller may not see
   */
  static void open(RoutingContext ctx, JobEngine engine, List<String> ids, List<Job> jobs) {
    new MultiJobEventStream(SseStream.open(ctx)).start(engine, ids, jobs);
  }

  private void start(JobEngine engine, List<String> ids, List<Job> jobs) {
    for (int i = 0; i < ids.size(); i++) {
      Job job = jobs.get(i);
      if (job == null) {
        sse.send("missing", new JsonObject().put("jobId", ids.get(i)));
        continue;
      }
      Followed f = new Followed(job);
      f.progress();
      f.state();
      if (!job.state().isTerminal()) {
        following.add(f);
      }
    }
    if (following.isEmpty() || sse.ended()) {
      sse.end(); // all finished or missing, or the client left while they were read
      return;
    }
    sse.onStop(() -> List.copyOf(following).forEach(f -> f.unfollow.run())).onDrain(this::drained);
    following.forEach(f -> f.unfollow = engine.follow(f.latest, f));
  }

  /** The queue has room again: the progress skipped meanwhile, in its latest form. */
  private void drained() {
    for (Followed f : List.copyOf(following)) {
      if (f.behind && !sse.full()) {
        f.behind = false;
        f.progress();
      }
    }
  }

  /** One job of the stream, as a listener of the engine. */
  private final class Followed implements JobListener {
    final String id;
    Job latest;
    Runnable unfollow = () -> { };
    JsonObject lastProgress;
    /** A progress event was skipped while the queue was full. */
    boolean behind;

    Followed(Job job) {
      this.id = job.id();
      this.latest = job;
    }

    @Override
    public void stateChanged(Job job) {
      latest = job;
      progress();
      state();
      if (job.state().isTerminal()) {
        // the engine drops its listeners after a terminal state: nothing to unfollow
        following.remove(this);
        if (following.isEmpty()) {
          sse.end();
        }
      }
    }

    @Override
    public void progressed(Job job) {
      latest = job;
      if (sse.full()) {
        behind = true;
      } else {
        progress();
      }
    }

    /** A state change carries the progress too: never the same progress twice in a row. */
    void progress() {
      JsonObject p = JobViews.progress(latest.progress());
      if (!p.equals(lastProgress)) {
        lastProgress = p;
        sse.send("progress", new JsonObject().put("jobId", id).put("progress", p));
      }
    }

    void state() {
      sse.send("state", new JsonObject().put("jobId", id).mergeIn(JobViews.state(latest)));
    }
  }
}
