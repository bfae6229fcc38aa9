package dev.fetchd.api;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The writing side of a Server-Sent Events answer, shared by the job event streams: the headers, numbered
 * events, a keep-alive comment every 15 s (so idle proxies keep the connection), and one way to end it.
 * Event ids go on after a Last-Event-ID the client sends, so they keep increasing across its reconnects.
 * Confined to the request's event loop.
 */
final class SseStream {
  private static final long HEARTBEAT_MS = 15_000;

  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private long nextId;
  private long heartbeat;
  private boolean ended;
  private Runnable closed = () -> { };

  private SseStream(RoutingContext ctx, long lastEventId) {
    this.ctx = ctx;
    this.response = ctx.response();
    this.nextId = lastEventId + 1;
    response.setChunked(true)
        .putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    heartbeat = ctx.vertx().setPeriodic(HEARTBEAT_MS, t -> {
      if (!ended) {
        response.write(": keep-alive\n\n");
      }
    });
    response.closeHandler(v -> stop());
  }

  /** Starts the answer; ids follow the request's Last-Event-ID, if it is one this service could have given. */
  static SseStream open(RoutingContext ctx) {
    long last = 0;
    String header = ctx.request().getHeader("Last-Event-ID");
    if (header != null) {
      try {
        last = Math.max(0, Long.parseLong(header.trim()));
      } catch (NumberFormatException ignored) {
        // an id we did not give out: start afresh
      }
    }
    return new SseStream(ctx, last);
  }

  /** Called once when the stream stops, whether the client left or {@link #end} was called. */
  SseStream onStop(Runnable stopped) {
    this.closed = stopped;
    return this;
  }

  /** Called when a write queue that was full has room again. */
  SseStream onDrain(Runnable drained) {
    response.drainHandler(v -> {
      if (!ended) {
        drained.run();
      }
    });
    return this;
  }

  /** A slow reader: what can be skipped (and sent later in its latest form) should be. */
  boolean full() {
    return response.writeQueueFull();
  }

  boolean ended() {
    return ended || response.closed();
  }

  void send(String event, JsonObject data) {
    if (ended()) {
      return;
    }
    response.write("id: " + (nextId++) + "\nevent: " + event + "\ndata: " + data.encode() + "\n\n");
  }

  void end() {
    if (!ended && !response.closed()) {
      ended = true;
      response.end();
    }
    stop();
  }

  private void stop() {
    if (heartbeat < 0) {
      return;
    }
    ended = true;
    ctx.vertx().cancelTimer(heartbeat);
    heartbeat = -1;
    closed.run();
  }
}
