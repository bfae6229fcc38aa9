package dev.fetchd.api;

import dev.fetchd.engine.JobEngine;
import dev.fetchd.engine.JobListener;
import dev.fetchd.job.Item;
import dev.fetchd.job.Job;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /jobs/{id}/events}: Server-Sent Events for one job until it is terminal. On connect it sends
 * the current progress and state, so a reconnect (with or without Last-Event-ID) never misses where the
 * job is; for a finished job that is the terminal state event, then the stream ends.
 *
 * <p>A slow reader does not make the service buffer without bound: while the connection's write queue is
 * full, item events are dropped and a progress snapshot is sent once it drains. The items endpoint stays
 * the complete record.
 */
final class JobEventStream implements JobListener {
  private static final long HEARTBEAT_MS = 15_000;

  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private long nextId;
  private Runnable unfollow = () -> { };
  private long heartbeat = -1;
  private boolean lagging;
  private boolean ended;

  private String lastProgress;

  private JobEventStream(RoutingContext ctx, long lastEventId) {
    this.ctx = ctx;
    this.response = ctx.response();
    this.nextId = lastEventId + 1;
  }

  static void open(RoutingContext ctx, JobEngine engine, Job job) {
    long last = 0;
    String header = ctx.request().getHeader("Last-Event-ID");
    if (header != null) {
      try {
        last = Math.max(0, Long.parseLong(header.trim()));
      } catch (NumberFormatException ignored) {
        // an id we did not give out: start afresh
      }
    }
    JobEventStream stream = new JobEventStream(ctx, last);
    stream.start(engine, job);
  }

  private void start(JobEngine engine, Job job) {
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    send("progress", JobViews.progress(job.progress()));
    send("state", state(job));
    if (job.state().isTerminal()) {
      end();
      return;
    }
    unfollow = engine.follow(job, this);
    response.closeHandler(v -> stop());
    heartbeat = ctx.vertx().setPeriodic(HEARTBEAT_MS, t -> {
      if (!ended) {
        response.write(": keep-alive\n\n");
      }
    });
    response.drainHandler(v -> {
      if (lagging && !ended) {
        lagging = false;
        send("progress", JobViews.progress(job.progress()));
      }
    });
  }

  @Override
  public void stateChanged(Job job) {
    send("progress", JobViews.progress(job.progress()));
    send("state", state(job));
    if (job.state().isTerminal()) {
      end();
    }
  }

  @Override
  public void itemFinished(Job job, Item item) {
    if (response.writeQueueFull()) {
      lagging = true;
      return;
    }
    send("item", JobViews.item(item));
  }

  @Override
  public void progressed(Job job) {
    if (!response.writeQueueFull()) {
      send("progress", JobViews.progress(job.progress()));
    }
  }

  private static JsonObject state(Job job) {
    JsonObject s = new JsonObject().put("state", job.state().wire());
    if (job.error() != null) {
      s.put("error", new JsonObject().put("code", job.error().code()).put("message", job.error().message()));
    }
    return s;
  }

  private void send(String event, JsonObject data) {
    if (ended || response.closed()) {
      return;
    }
    String encoded = data.encode();
    if (event.equals("progress")) {
      if (encoded.equals(lastProgress)) {
        return; // a state change carries the progress too: never the same progress twice
      }
      lastProgress = encoded;
    }
    response.write("id: " + (nextId++) + "\nevent: " + event + "\ndata: " + encoded + "\n\n");
  }

  private void end() {
    if (!ended && !response.closed()) {
      ended = true;
      response.end();
    }
    stop();
  }

  private void stop() {
    ended = true;
    unfollow.run();
    if (heartbeat >= 0) {
      ctx.vertx().cancelTimer(heartbeat);
      heartbeat = -1;
    }
  }
}
