package bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bench target: one Vert.x event loop serving {@code GET /b/{name}?size=N&delay=MS} (N bytes of
 * {@link Bodies#body}(name, N), Content-Length, after MS ms) on one port of every loopback address given
 * (127.0.0.1, 127.0.0.2, ...: distinct hosts for per-host limits, all on this machine). It counts requests
 * and concurrent requests; {@code GET /_stats} reads the counters, {@code POST /_reset} resets them (those
 * two are not counted). Prints "READY port" on stdout once every address listens.
 *
 * <p>Usage: target --hosts 127.0.0.1,127.0.0.2 [--port 0] [--event-loops 1]
 */
public final class Target {
  private final Vertx vertx;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong maxInFlight = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();

  private Target(Vertx vertx) {
    this.vertx = vertx;
  }

  public static void main(String[] args) {
    Args a = new Args(args);
    String[] hosts = a.get("hosts", "127.0.0.1").split(",");
    int port = Integer.parseInt(a.get("port", "0"));
    int loops = Integer.parseInt(a.get("event-loops", "1"));
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    Target t = new Target(vertx);
    List<HttpServer> servers = new ArrayList<>();
    for (String host : hosts) {
      for (int i = 0; i < loops; i++) {
        HttpServer s = vertx.createHttpServer(new HttpServerOptions()
                .setHost(host).setPort(port).setAcceptBacklog(8192).setIdleTimeout(0)
                .setHttp2ClearTextEnabled(false).setCompressionSupported(false))
            .requestHandler(t::handle);
        s.listen().await();
        port = s.actualPort();
        servers.add(s);
      }
    }
    System.out.println("READY " + port);
    System.out.flush();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    HttpServerResponse resp = req.response();
    if (path.startsWith("/_")) {
      control(req, path);
      return;
    }
    if (!path.startsWith("/b/") || path.length() <= 3) {
      resp.setStatusCode(404).end("not found\n");
      return;
    }
    requests.incrementAndGet();
    long n = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(n, Math::max);
    boolean[] done = {false};
    Runnable finish = () -> {
      if (!done[0]) {
        done[0] = true;
        inFlight.decrementAndGet();
      }
    };
    resp.endHandler(v -> finish.run());
    resp.closeHandler(v -> {
      if (!resp.ended()) {
        errors.incrementAndGet();
      }
      finish.run();
    });
    String name = path.substring(3);
    long size = longParam(req.getParam("size"), 1024);
    long delay = longParam(req.getParam("delay"), 0);
    if (delay > 0) {
      vertx.setTimer(delay, id -> serve(resp, name, size));
    } else {
      serve(resp, name, size);
    }
  }

  private void serve(HttpServerResponse resp, String name, long size) {
    if (resp.closed()) {
      return;
    }
    bytes.addAndGet(size);
    resp.putHeader("Content-Type", "application/octet-stream").putHeader("Content-Length", Long.toString(size));
    long seed = Bodies.seed(name, size);
    if (size <= Bodies.CHUNK) {
      byte[] b = new byte[(int) size];
      Bodies.fill(seed, 0, b, 0, b.length);
      resp.end(Buffer.buffer(b));
    } else {
      new Pump(resp, seed, size).run();
    }
  }

  /** Streams a large body in 64 KiB chunks, pausing while the connection's write queue is full. */
  private static final class Pump {
    final HttpServerResponse resp;
    final long seed;
    final long size;
    long pos;

    Pump(HttpServerResponse resp, long seed, long size) {
      this.resp = resp;
      this.seed = seed;
      this.size = size;
    }

    void run() {
      while (pos < size) {
        if (resp.closed()) {
          return;
        }
        if (resp.writeQueueFull()) {
          resp.drainHandler(v -> run());
          return;
        }
        int n = (int) Math.min(Bodies.CHUNK, size - pos);
        byte[] b = new byte[n];
        Bodies.fill(seed, pos, b, 0, n);
        pos += n;
        resp.write(Buffer.buffer(b));
      }
      resp.end();
    }
  }

  private void control(HttpServerRequest req, String path) {
    HttpServerResponse resp = req.response().putHeader("Content-Type", "application/json");
    if (path.equals("/_reset")) {
      requests.set(0);
      bytes.set(0);
      errors.set(0);
      maxInFlight.set(inFlight.get());
    }
    resp.end("{\"requests\":" + requests.get() + ",\"bytes\":" + bytes.get() + ",\"inFlight\":" + inFlight.get()
        + ",\"maxInFlight\":" + maxInFlight.get() + ",\"aborted\":" + errors.get() + "}");
  }

  private static long longParam(String v, long dflt) {
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      return dflt;
    }
  }
}
