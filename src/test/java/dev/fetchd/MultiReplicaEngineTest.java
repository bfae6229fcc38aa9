package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits and the lifecycle of one engine, held by replicas in separate JVMs on one PostgreSQL: the
 * queue's capacity, event streams followed from another replica, cancel while a big job loads, and a job that
 * kills every replica that takes it.
 */
class MultiReplicaEngineTest {
  private static final String SCHEMA = "fetchd_test_multi_engine";
  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");
  private static final Pattern NAME = Pattern.compile("replica (\\S+) sharing the job queue");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Replica> replicas = new ArrayList<>();
  private Vertx vertx;
  @TempDir
  Path dir;

  record Replica(Process process, Path log, int port, String name) {
    String base() {
      return "http://127.0.0.1:" + port;
    }
  }

  @BeforeEach
  void freshSchema() {
    PgTestDatabase.url(); // skips without a database
    vertx = Vertx.vertx();
    PgTestDatabase.dropSchema(vertx, SCHEMA);
  }

  @AfterEach
  void stopAll() throws Exception {
    for (Replica r : replicas) {
      r.process().destroy();
    }
    for (Replica r : replicas) {
      if (!r.process().waitFor(20, TimeUnit.SECONDS)) {
        r.process().destroyForcibly();
      }
    }
    if (vertx != null) {
      vertx.close().await();
    }
  }

  private Replica launch(Map<String, String> extra) throws Exception {
    Path log = dir.resolve("replica-" + replicas.size() + ".log");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.fetchd.Main");
    pb.environment().keySet().removeIf(k -> k.startsWith("FETCHD_"));
    Map<String, String> env = new HashMap<>(Map.of("FETCHD_HTTP_PORT", "0",
        "FETCHD_DATA_DIR", Files.createDirectories(dir.resolve("data")).toString(),
        "FETCHD_STORE", "postgres", "FETCHD_PG_URL", PgTestDatabase.url(), "FETCHD_PG_SCHEMA", SCHEMA,
        "FETCHD_LEASE_MS", "1500", "FETCHD_ALLOW_PRIVATE_NETWORKS", "true", "FETCHD_SHUTDOWN_GRACE_MS", "1000",
        "FETCHD_HTTP_MAX_BODY_BYTES", String.valueOf(16 << 20)));
    env.putAll(extra);
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String text = Files.readString(log);
      Matcher port = PORT.matcher(text);
      Matcher name = NAME.matcher(text);
      if (port.find() && name.find()) {
        Replica r = new Replica(p, log, Integer.parseInt(port.group(1)), name.group(1));
        replicas.add(r);
        return r;
      }
      assertThat(p.isAlive()).as("replica started: " + text).isTrue();
      Thread.sleep(50);
    }
    throw new AssertionError("replica did not start: " + Files.readString(log));
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private String submit(Replica r, List<String> urls, JsonObject limits) throws Exception {
    JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray(new ArrayList<>(urls)));
    if (limits != null) {
      body.put("limits", limits);
    }
    HttpResponse<String> resp = send(HttpRequest.newBuilder(URI.create(r.base() + "/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    assertThat(resp.statusCode()).as(resp.body()).isEqualTo(202);
    return new JsonObject(resp.body()).getString("id");
  }

  private long sql(String query) {
    return PgTestDatabase.number(vertx, SCHEMA, query);
  }

  private String claimedBy(String jobId) {
    var rows = PgTestDatabase.sql(vertx, SCHEMA,
        "SELECT claimed_by FROM fetchd_jobs WHERE id = '" + jobId + "' AND state = 'running'");
    return rows.size() == 0 ? null : rows.iterator().next().getString(0);
  }

  private static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void capacityFollowersAndCancelHoldAcrossReplicasInSeparateProcesses() throws Exception {
    try (TargetServer target = TargetServer.start()) {
      // long leases: on a loaded machine a late heartbeat must not hand a stalling job back mid-test
      Map<String, String> env = Map.of("FETCHD_QUEUE_CAPACITY", "5", "FETCHD_MAX_RUNNING_JOBS", "1",
          "FETCHD_LEASE_MS", "20000");
      for (int i = 0; i < 3; i++) {
        launch(env);
      }
      // every replica busy with a stalling job, so what is submitted now waits
      List<String> stalls = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        stalls.add(submit(replicas.get(i), List.of(target.url("/stall?s=" + i)), null));
      }
      await("three jobs running", Duration.ofSeconds(30),
          () -> sql("SELECT count(*) FROM fetchd_jobs WHERE state = 'running'") == 3);

      // 60 concurrent submits to 3 replicas against a capacity of 5
      List<CompletableFuture<HttpResponse<String>>> posts = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        String body = new JsonObject().put("type", "download")
            .put("urls", new JsonArray().add(target.url("/bytes/c-" + i))).encode();
        posts.add(http.sendAsync(HttpRequest.newBuilder(URI.create(replicas.get(i % 3).base() + "/jobs"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      int accepted = 0;
      for (var p : posts) {
        int status = p.get(60, TimeUnit.SECONDS).statusCode();
        assertThat(status).isIn(202, 429);
        accepted += status == 202 ? 1 : 0;
      }
      assertThat(accepted).as("accepted of 60 against capacity 5 (running now: "
          + sql("SELECT count(*) FROM fetchd_jobs WHERE state = 'running'") + ", attempts > 1: "
          + sql("SELECT count(*) FROM fetchd_jobs WHERE attempt > 1") + ")").isEqualTo(5);
      assertThat(sql("SELECT count(*) FROM fetchd_jobs WHERE state = 'queued'")).isEqualTo(5);

      // the stalls end (cancelled from any replica); the queued jobs run
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(replicas.get((i + 1) % 3).base() + "/jobs/"
            + stalls.get(i))).DELETE());
        assertThat(new JsonObject(r.body()).getString("state")).isEqualTo("cancelled");
      }
      await("queued jobs done", Duration.ofSeconds(60),
          () -> sql("SELECT count(*) FROM fetchd_jobs WHERE state IN ('queued', 'running')") == 0);

      // four followers of a job that runs on another replica: each event once, in order
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        urls.add(target.url("/bytes/f-" + i + "?delay=80"));
      }
      String followed = submit(replicas.get(0), urls, new JsonObject().put("concurrency", 2));
      await("followed job claimed", Duration.ofSeconds(30), () -> claimedBy(followed) != null);
      String runner = claimedBy(followed);
      Replica other = replicas.stream().filter(r -> !r.name().equals(runner)).findFirst().orElseThrow();
      List<CompletableFuture<HttpResponse<java.util.stream.Stream<String>>>> streams = new ArrayList<>();
      for (int f = 0; f < 4; f++) {
        streams.add(http.sendAsync(HttpRequest.newBuilder(URI.create(other.base() + "/jobs/" + followed + "/events"))
            .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofLines()));
      }
      for (var s : streams) {
        List<String> events = new ArrayList<>();
        String event = null;
        for (String line : (Iterable<String>) s.get(60, TimeUnit.SECONDS).body()::iterator) {
          if (line.startsWith("event: ")) {
            event = line.substring(7);
          } else if (line.startsWith("data: ")) {
            events.add(event + " " + line.substring(6));
          }
        }
        assertThat(events).as("each event once").doesNotHaveDuplicates();
        assertThat(events.get(events.size() - 1)).startsWith("state ").contains("completed");
        long last = -1;
        for (String e : events) {
          if (e.startsWith("progress ")) {
            long done = new JsonObject(e.substring(9)).getLong("succeeded");
            assertThat(done).as("in order: " + events).isGreaterThanOrEqualTo(last);
            last = done;
          }
        }
        assertThat(last).isEqualTo(60);
      }

      // cancel while a claimed job of 60,000 URLs loads its items: none is left queued
      List<String> many = new ArrayList<>(60_000);
      for (int i = 0; i < 60_000; i++) {
        many.add(target.url("/bytes/m-" + i + "?delay=50"));
      }
      String big = submit(replicas.get(1), many, new JsonObject().put("concurrency", 1));
      await("big job claimed", Duration.ofSeconds(30), () -> claimedBy(big) != null);
      HttpResponse<String> cancel = send(HttpRequest.newBuilder(URI.create(replicas.get(2).base() + "/jobs/" + big))
          .DELETE());
      assertThat(cancel.statusCode()).isEqualTo(200);
      await("big job cancelled with every item settled", Duration.ofSeconds(30),
          () -> sql("SELECT count(*) FROM fetchd_jobs WHERE id = '" + big + "' AND state = 'cancelled'") == 1
              && sql("SELECT count(*) FROM fetchd_items WHERE job_id = '" + big + "' AND state IN ('queued', 'running')") == 0);
    }
  }

  @Test
  void aJobWhoseReplicaIsKilledThreeTimesEndsAttemptsExhausted() throws Exception {
    try (TargetServer target = TargetServer.start()) {
      Replica first = launch(Map.of());
      String id = submit(first, List.of(target.url("/stall?killer")),
          new JsonObject().put("requestTimeoutMs", 600_000));
      Replica holder = first;
      for (int attempt = 1; attempt <= 3; attempt++) {
        Replica h = holder;
        await("attempt " + attempt + " claimed", Duration.ofSeconds(30), () -> h.name().equals(claimedBy(id)));
        h.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        if (attempt < 3) {
          // a new replica takes the expired claim back and runs the job again
          holder = launch(Map.of());
        }
      }
      Replica rescuer = launch(Map.of());
      await("job failed", Duration.ofSeconds(30),
          () -> sql("SELECT count(*) FROM fetchd_jobs WHERE id = '" + id + "' AND state = 'failed'") == 1);
      JsonObject job = new JsonObject(send(HttpRequest.newBuilder(URI.create(rescuer.base() + "/jobs/" + id))).body());
      assertThat(job.getJsonObject("error").getString("code")).isEqualTo("attempts_exhausted");
      assertThat(sql("SELECT attempt FROM fetchd_jobs WHERE id = '" + id + "'")).isEqualTo(3);
      assertThat(Files.readString(rescuer.log())).contains("job " + id + " running -> failed");
    }
  }
}
