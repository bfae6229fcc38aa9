package bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The floor for fetchd's stack: a raw Vert.x HttpClient on ONE event loop with at most C requests in flight,
 * fetching the URLs of --warm-urls (default: all) once untimed (warm-up), then every URL of --urls, timed. Bodies are discarded (counted), or,
 * with --out DIR, streamed into one file per URL with back pressure, as fetchd streams into its temp files
 * (--durable adds what fetchd's commit does on top: fsync and an atomic rename on a worker pool of 8).
 * Prints one JSON line: {"warm_s","elapsed_s","cpu_s" (of the timed pass),"ok","failed","bytes","rss_peak_kb"}.
 *
 * <p>Usage: raw --urls FILE [--warm-urls FILE] --c C [--out DIR] [--durable]
 */
public final class RawClient {
  private final Vertx vertx;
  private final HttpClientAgent client;
  private List<String> urls;
  private final int c;
  private final Path out;
  private final boolean durable;
  private final WorkerExecutor commitWorkers;

  private int next;
  private int inFlight;
  private long ok;
  private long failed;
  private long bytes;
  private String firstError;
  private Path passDir;
  private Promise<Void> done;

  RawClient(Vertx vertx, List<String> urls, int c, Path out, boolean durable) {
    this.vertx = vertx;
    this.urls = urls;
    this.c = c;
    this.out = out;
    this.durable = durable;
    this.client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setMaxRedirects(0)
            .setDecompressionSupported(false).setConnectTimeout(10_000),
        new PoolOptions().setHttp1MaxSize(c).setMaxWaitQueueSize(-1));
    this.commitWorkers = durable ? vertx.createSharedWorkerExecutor("raw-commit", 8) : null;
  }

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Throwable t) {
      // Vert.x's threads would keep the process alive, and the driver waiting, after the main thread died
      t.printStackTrace();
      System.exit(2);
    }
  }

  private static void run(String[] args) throws Exception {
    Args a = new Args(args);
    List<String> urls = Files.readAllLines(Path.of(a.need("urls"))).stream().filter(s -> !s.isBlank()).toList();
    int c = Integer.parseInt(a.need("c"));
    Path out = a.get("out", null) == null ? null : Path.of(a.get("out", null));
    List<String> warmUrls = a.get("warm-urls", null) == null ? urls
        : Files.readAllLines(Path.of(a.get("warm-urls", null))).stream().filter(s -> !s.isBlank()).toList();
    int passes = 2;
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    RawClient raw = new RawClient(vertx, urls, c, out, a.flag("durable"));
    Context ctx = vertx.getOrCreateContext();
    double warm = 0;
    double elapsed = 0;
    double cpu = 0;
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean();
    for (int p = 1; p <= passes; p++) {
      int pass = p;
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      Promise<Void> finished = Promise.promise();
      ctx.runOnContext(v -> raw.run(pass, pass < passes ? warmUrls : urls).onComplete(finished));
      finished.future().await();
      double s = (System.nanoTime() - t0) / 1e9;
      cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
      if (p < passes) {
        warm += s;
      } else {
        elapsed = s;
      }
    }
    System.out.println("{\"warm_s\":" + warm + ",\"elapsed_s\":" + elapsed + ",\"cpu_s\":" + cpu + ",\"ok\":" + raw.ok + ",\"failed\":"
        + raw.failed + ",\"bytes\":" + raw.bytes + ",\"rss_peak_kb\":" + Proc.vmHwmKb("self")
        + (raw.firstError == null ? "" : ",\"first_error\":\"" + raw.firstError.replace('"', '\'') + "\"") + "}");
    System.out.flush();
    vertx.close().await();
    System.exit(0);
  }

  /** One pass over every URL; on the event loop. Counters describe the last pass. */
  Future<Void> run(int pass, List<String> list) {
    urls = list;
    next = 0;
    inFlight = 0;
    ok = 0;
    failed = 0;
    bytes = 0;
    firstError = null;
    if (out != null) {
      passDir = out.resolve("pass" + pass);
      try {
        Files.createDirectories(passDir);
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    }
    done = Promise.promise();
    pump();
    return done.future();
  }

  private void pump() {
    while (inFlight < c && next < urls.size()) {
      int i = next++;
      inFlight++;
      fetch(i).onComplete(ar -> {
        inFlight--;
        if (ar.succeeded()) {
          ok++;
          bytes += ar.result();
        } else {
          failed++;
          if (firstError == null) {
            firstError = String.valueOf(ar.cause());
          }
        }
        if (next >= urls.size() && inFlight == 0) {
          done.tryComplete();
        } else {
          pump();
        }
      });
    }
    if (urls.isEmpty()) {
      done.tryComplete();
    }
  }

  private Future<Long> fetch(int i) {
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(urls.get(i)))
        .compose(req -> req.send())
        .compose(resp -> {
          if (resp.statusCode() != 200) {
            return resp.body().compose(b -> Future.failedFuture("HTTP " + resp.statusCode()));
          }
          return out == null ? discard(resp) : toFile(resp, i);
        });
  }

  private static Future<Long> discard(HttpClientResponse resp) {
    long[] n = {0};
    resp.handler(b -> n[0] += b.length());
    return resp.end().map(v -> n[0]);
  }

  private Future<Long> toFile(HttpClientResponse resp, int i) {
    resp.pause();
    Path path = passDir.resolve(durable ? i + ".part" : Integer.toString(i));
    return vertx.fileSystem().open(path.toString(), new OpenOptions().setWrite(true).setCreate(true)
            .setTruncateExisting(true).setRead(false))
        .compose(file -> {
          Promise<Long> p = Promise.promise();
          long[] n = {0};
          file.exceptionHandler(p::tryFail);
          resp.exceptionHandler(p::tryFail);
          resp.handler(chunk -> {
            n[0] += chunk.length();
            file.write(chunk);
            if (file.writeQueueFull()) {
              resp.pause();
              file.drainHandler(v -> resp.resume());
            }
          });
          resp.endHandler(v -> file.close().onComplete(cl -> {
            if (cl.failed()) {
              p.tryFail(cl.cause());
            } else if (durable) {
              commit(path, passDir.resolve(Integer.toString(i))).map(x -> n[0]).onComplete(p);
            } else {
              p.tryComplete(n[0]);
            }
          }));
          resp.resume();
          return p.future();
        });
  }

  /** What fetchd's FileStore.commit does: fsync the file, then rename it into place, on a worker. */
  private Future<Void> commit(Path temp, Path target) {
    return commitWorkers.executeBlocking(() -> {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return null;
    }, false);
  }
}
