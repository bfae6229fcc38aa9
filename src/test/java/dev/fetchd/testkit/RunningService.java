package dev.fetchd.testkit;

import dev.fetchd.FetchdVerticle;
import dev.fetchd.Main;
import dev.fetchd.config.ConfigLoader;
import dev.fetchd.config.FetchdConfig;
import dev.fetchd.fetch.Resolver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * fetchd running in this JVM as a user would reach it: over HTTP on a free loopback port, with a fresh data
 * dir. Its Vert.x treats 200 ms on the event loop as blocked; {@link #close()} fails the test if any thread
 * was reported blocked, unless {@link LoopCpu} shows the thread was runnable and used less CPU than the
 * limit over that span. Private networks are allowed (the targets are on loopback) unless a test says not.
 */
public final class RunningService implements AutoCloseable {
  private final Vertx vertx;
  private final String deployment;
  private final FetchdVerticle verticle;
  private final Path dataDir;
  private final String base;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> blocked = Collections.synchronizedList(new ArrayList<>());

  private RunningService(Vertx vertx, FetchdVerticle verticle, Path dataDir, String deployment) {
    this.vertx = vertx;
    this.deployment = deployment;
    this.verticle = verticle;
    this.dataDir = dataDir;
    this.base = "http://127.0.0.1:" + verticle.port();
  }

  public static RunningService start() {
    return start(Map.of(), null);
  }

  public static RunningService start(Map<String, Object> settings) {
    return start(settings, null);
  }

  /** Starts fetchd with these settings (dotted keys) over the test defaults, and an optional resolver. */
  public static RunningService start(Map<String, Object> settings, Resolver resolver) {
    try {
      Path dataDir = Files.createTempDirectory("fetchd-test");
      Map<String, Object> all = new HashMap<>();
      all.put("http.port", 0);
      all.put("data.dir", dataDir.toString());
      all.put("allowPrivateNetworks", true);
      all.put("shutdown.graceMs", 2000);
      all.putAll(settings);
      FetchdConfig config = ConfigLoader.fromMap(all);
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      Vertx vertx = Main.createVertx(new VertxOptions()
          .setMaxEventLoopExecuteTime(200).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
          .setBlockedThreadCheckInterval(20).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS), registry);
      LoopCpu.start();
      List<String> blocked = Collections.synchronizedList(new ArrayList<>());
      ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler((BlockedThreadEvent e) -> {
        if (e.thread().getName().contains("eventloop")) {
          blocked.add(describe(e));
        }
      });
      FetchdVerticle verticle = new FetchdVerticle(config, registry, resolver);
      String deployment = vertx.deployVerticle(verticle).await(20, TimeUnit.SECONDS);
      RunningService s = new RunningService(vertx, verticle, dataDir, deployment);
      // First use of the contract validator, JSON codec and Prometheus writer loads hundreds of classes on
      // the event loop; that one-off cost is not what the check is for, so warm those paths up first.
      s.post("/jobs", "{\"type\":\"download\",\"urls\":[1]}");
      s.post("/jobs", "{\"type\":\"download\",\"urls\":[\"ftp://x\"]}");
      s.get("/jobs?limit=1");
      s.get("/metrics");
      s.get("/ui/"); // the dashboard's static files: the first file sent loads the sendfile path
      warmOutboundConnect(vertx, verticle.port());
      if (!blocked.isEmpty()) {
        System.err.println("note: event loop slow during start-up and warm-up (not counted): " + blocked.size());
      }
      ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler((BlockedThreadEvent e) -> {
        if (!e.thread().getName().contains("eventloop")) {
          return;
        }
        if (LoopCpu.judge(e.thread(), e.duration(), e.maxExecTime()) == LoopCpu.Verdict.STARVED) {
          // runnable, yet it used less CPU than the limit over the span: the OS did not schedule it (a loaded
          // 2-core machine, a GC pause), not fetchd blocking its loop; reported, not counted
          System.err.println("note: event loop starved, not blocked: " + describe(e));
          return;
        }
        s.blocked.add(describe(e));
      });
      return s;
    } catch (Exception e) {
      throw new IllegalStateException("fetchd did not start", e);
    }
  }

  /**
   * The first outbound connection in a JVM loads Netty's connect and DNS resolver classes on the event loop that
   * makes it (over 200 ms on a loaded machine); a test's first fetch should not pay that one-off cost.
   */
  private static void warmOutboundConnect(Vertx vertx, int port) {
    io.vertx.core.http.HttpClient client = vertx.createHttpClient();
    try {
      client.request(io.vertx.core.http.HttpMethod.GET, port, "localhost", "/jobs?limit=1")
          .compose(req -> req.send().compose(io.vertx.core.http.HttpClientResponse::body))
          .await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("note: warm-up connection failed: " + e);
    } finally {
      client.close();
    }
  }

  /** The event and where the thread was when caught, so a failure says what blocked. */
  private static String describe(BlockedThreadEvent e) {
    StringBuilder sb = new StringBuilder(e.toString());
    StackTraceElement[] stack = e.thread().getStackTrace();
    for (int i = 0; i < Math.min(stack.length, 25); i++) {
      sb.append("\n    at ").append(stack[i]);
    }
    return sb.toString();
  }

  public String baseUrl() {
    return base;
  }

  public Path dataDir() {
    return dataDir;
  }

  public Vertx vertx() {
    return vertx;
  }

  public FetchdVerticle verticle() {
    return verticle;
  }

  // ---- HTTP as a client sees it ----------------------------------------------------------------------

  public record Response(int status, Map<String, List<String>> headers, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }
  }

  public Response post(String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b);
  }

  public Response get(String path, String... headers) {
    return send(withHeaders(HttpRequest.newBuilder(URI.create(base + path)).GET(), headers));
  }

  public Response delete(String path, String... headers) {
    return send(withHeaders(HttpRequest.newBuilder(URI.create(base + path)).DELETE(), headers));
  }

  private static HttpRequest.Builder withHeaders(HttpRequest.Builder b, String... headers) {
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  public HttpResponse<byte[]> getBytes(String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private Response send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers().map(), r.body());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Submits a download job of these URLs with the given limits (a JSON object literal or null). */
  public JsonObject submitDownload(List<String> urls, JsonObject limits) {
    JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray(new ArrayList<>(urls)));
    if (limits != null) {
      body.put("limits", limits);
    }
    Response r = post("/jobs", body.encode());
    if (r.status() != 202) {
      throw new AssertionError("submit answered " + r.status() + ": " + r.body());
    }
    return r.json();
  }

  /** Long-polls the job until it is terminal; fails after {@code timeout}. */
  public JsonObject awaitTerminal(String id, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000_000;
      Response answer = get("/jobs/" + id + "?wait=" + Math.max(1, Math.min(10, left)));
      if (answer.status() != 200) {
        throw new AssertionError("job " + id + ": GET answered " + answer.status() + " " + answer.body());
      }
      JsonObject job = answer.json();
      String state = job.getString("state");
      if (!state.equals("queued") && !state.equals("running")) {
        return job;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + id + " still " + state + " after " + timeout + ": " + job.encode());
      }
    }
  }

  /** Polls until {@code condition} holds; fails after {@code timeout}. For states no long-poll covers. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    await(what, timeout, condition, () -> "");
  }

  /** As {@link #await(String, Duration, BooleanSupplier)}, saying on timeout what {@code seen} reads then. */
  public static void await(String what, Duration timeout, BooleanSupplier condition,
      java.util.function.Supplier<String> seen) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        String state = seen.get();
        throw new AssertionError("timed out waiting for " + what + (state.isEmpty() ? "" : "; saw " + state));
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Every item of a job, following the cursor. */
  public List<JsonObject> items(String id) {
    List<JsonObject> out = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = get("/jobs/" + id + "/items?limit=1000" + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.getJsonArray("items").forEach(o -> out.add((JsonObject) o));
      cursor = page.getString("next");
    } while (cursor != null);
    return out;
  }

  /** The value of one Prometheus sample, e.g. {@code metric("fetchd_jobs", "state", "running")}; NaN if absent. */
  public double metric(String name, String... labels) {
    String text = get("/metrics").body();
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})?\\s+(\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(text);
    while (m.find()) {
      String labelText = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (int i = 0; i + 1 < labels.length; i += 2) {
        all &= labelText.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      }
      if (all) {
        return Double.parseDouble(m.group(2));
      }
    }
    return Double.NaN;
  }

  /** The sum of every sample of a metric whose labels include these (e.g. heap used over all pools). */
  public double metricSum(String name, String... labels) {
    String text = get("/metrics").body();
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})?\\s+(\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(text);
    double sum = 0;
    while (m.find()) {
      String labelText = m.group(1) == null ? "" : m.group(1);
      boolean all = true;
      for (int i = 0; i + 1 < labels.length; i += 2) {
        all &= labelText.contains(labels[i] + "=\"" + labels[i + 1] + "\"");
      }
      if (all) {
        sum += Double.parseDouble(m.group(2));
      }
    }
    return sum;
  }

  /** {@code .part} files under the data dir: none may survive a finished job. */
  public long partialFiles() {
    try (Stream<Path> s = Files.walk(dataDir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".part")).count();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Event-loop threads reported blocked so far. */
  public List<String> blockedThreads() {
    return List.copyOf(blocked);
  }

  /** Undeploys the verticle (its stop() runs) but keeps Vert.x running: what stays open after stop shows. */
  public void undeploy() {
    try {
      vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("fetchd did not stop in 30 s", e);
    }
  }

  /** Stops fetchd (graceful shutdown included), deletes its data dir, and fails if the loop was blocked. */
  @Override
  public void close() {
    try {
      boolean deployed = vertx.deploymentIDs().contains(deployment);
      Main.stop(vertx, deployed ? io.vertx.core.Future.succeededFuture(deployment)
          : io.vertx.core.Future.failedFuture("already undeployed"), 30_000);
    } catch (Exception e) {
      throw new IllegalStateException("fetchd did not stop", e);
    } finally {
      try (Stream<Path> s = Files.walk(dataDir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException ignored) {
        // best effort
      }
    }
    if (!blocked.isEmpty()) {
      throw new AssertionError("the event loop was blocked: " + blocked);
    }
  }
}
