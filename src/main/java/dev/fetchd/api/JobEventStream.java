package dev.fetchd.api;

import dev.fetchd.engine.JobEngine;
import dev.fetchd.engine.JobListener;
import dev.fetchd.job.Item;
import dev.fetchd.job.Job;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /jobs/{id}/events}: Server-Sent Events for one job until it is terminal. On connect it sends
 * the current progress and state, so a reconnect (with or without Last-Event-ID) never misses where the
 * job is; for a finished job that is the terminal state event, then the stream ends.
 *
 * <p>A slow reader does not make the service buffer without bound: while the connection's write queue is
 * full, item and progress events are dropped and the latest progress is sent once it drains. The items
 * endpoint stays the complete record.
 */
final class JobEventStream implements JobListener {
  private final SseStream sse;
  private Runnable unfollow = () -> { };
  /** The latest copy heard of: what a drained queue is sent. */
  private Job latest;
  private boolean lagging;
  private JsonObject lastProgress;

  private JobEventStream(SseStream sse, Job job) {
    this.sse = sse;
    this.latest = job;
  }

  static void open(RoutingContext ctx, JobEngine engine, Job job) {
    JobEventStream stream = new JobEventStream(SseStream.open(ctx), job);
    stream.start(engine);
  }

  private void start(JobEngine engine) {
    progress(latest);
    sse.send("state", JobViews.state(latest));
    if (latest.state().isTerminal() || sse.ended()) {
      sse.end(); // done, or the client left while the job was read
      return;
    }
    sse.onStop(() -> unfollow.run()).onDrain(() -> {
      if (lagging) {
        lagging = false;
        progress(latest);
      }
    });
    unfollow = engine.follow(latest, this);
  }

  @Override
  public void stateChanged(Job job) {
    latest = job;
    progress(job);
    sse.send("state", JobViews.state(job));
    if (job.state().isTerminal()) {
      sse.end();
    }
  }

  @Override
  public void itemFinished(Job job, Item item) {
    latest = job;
    if (sse.full()) {
      lagging = true;
      return;
    }
    sse.send("item", JobViews.item(item));
  }

  @Override
  public void progressed(Job job) {
    latest = job;
    if (sse.full()) {
      lagging = true;
      return;
    }
    progress(job);
  }

  /** A state change carries the progress too: never the same progress twice in a row. */
  private void progress(Job job) {
    JsonObject p = JobViews.progress(job.progress());
    if (!p.equals(lastProgress)) {
      lastProgress = p;
      sse.send("progress", p);
    }
  }
}
