package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One engine for one replica and for many: replicas in this JVM on one PostgreSQL schema, checked from
 * the outside (HTTP, SQL). Each test is the regression test of one point of issue 10.
 */
class OneEngineTest {
  static final String SCHEMA = "fetchd_test_engine";
  static TargetServer target;
  static Vertx admin;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() {
    PgTestDatabase.url(); // skips the class without a database
    target = TargetServer.start();
    admin = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    if (target != null) {
      target.close();
    }
    if (admin != null) {
      admin.close().await();
    }
  }

  @BeforeEach
  void freshSchema() {
    PgTestDatabase.dropSchema(admin, SCHEMA);
  }

  static RunningService replica(Map<String, Object> extra) {
    Map<String, Object> s = new HashMap<>(Map.of("store", "postgres", "pg.url", PgTestDatabase.url(),
        "pg.schema", SCHEMA, "leaseMs", 2000));
    s.putAll(extra);
    return RunningService.start(s);
  }

  static long sql(String query) {
    return PgTestDatabase.number(admin, SCHEMA, query);
  }

  static void exec(String statement) {
    PgTestDatabase.sql(admin, SCHEMA, statement);
  }

  static String awaitState(RunningService s, String id, String state) {
    RunningService.await("job " + id + " " + state, Duration.ofSeconds(20),
        () -> state.equals(s.get("/jobs/" + id).json().getString("state")));
    return id;
  }

  // ---- 1: the queue's capacity ---------------------------------------------------------------------

  @Test
  void queueCapacityHoldsForConcurrentSubmitsAcrossReplicas() throws Exception {
    Map<String, Object> limits = Map.of("queue.capacity", 3, "maxRunningJobs", 1);
    try (RunningService a = replica(limits); RunningService b = replica(limits)) {
      String s1 = a.submitDownload(List.of(target.url("/stall?cap=1")), null).getString("id");
      String s2 = b.submitDownload(List.of(target.url("/stall?cap=2")), null).getString("id");
      awaitState(a, s1, "running");
      awaitState(a, s2, "running");

      List<CompletableFuture<HttpResponse<String>>> posts = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        RunningService to = i % 2 == 0 ? a : b;
        String body = new JsonObject().put("type", "download")
            .put("urls", new JsonArray().add(target.url("/bytes/cap-" + i))).encode();
        posts.add(http.sendAsync(HttpRequest.newBuilder(URI.create(to.baseUrl() + "/jobs"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      int accepted = 0;
      int refused = 0;
      for (var p : posts) {
        int status = p.get(60, TimeUnit.SECONDS).statusCode();
        accepted += status == 202 ? 1 : 0;
        refused += status == 429 ? 1 : 0;
      }
      assertThat(accepted).as("202s").isEqualTo(3);
      assertThat(refused).as("429s").isEqualTo(27);
      assertThat(sql("SELECT count(*) FROM fetchd_jobs WHERE state = 'queued'")).isEqualTo(3);
      a.delete("/jobs/" + s1);
      a.delete("/jobs/" + s2);
    }
  }

  // ---- 2: nothing written is lost in silence ----------------------------------------------------------

  @Test
  void hostileNulTextIsSavedNotLost() {
    NetServer hostile = admin.createNetServer().connectHandler(socket -> socket.handler(chunk -> {
      String head = chunk.toString();
      if (head.startsWith("GET /status-nul")) {
        socket.end(Buffer.buffer("HTTP/1.1 2\u000000 OK\r\nContent-Length: 2\r\n\r\nok"));
      } else {
        socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: text/pl\u0000ain\r\nContent-Length: 2\r\n"
            + "Connection: close\r\n\r\nok"));
      }
    })).listen(0, "127.0.0.1").await();
    try (RunningService fetchd = replica(Map.of())) {
      String base = "http://127.0.0.1:" + hostile.actualPort();
      List<String> urls = new ArrayList<>();
      urls.add(base + "/status-nul");
      urls.add(base + "/type-nul");
      for (int i = 0; i < 298; i++) {
        urls.add(target.url("/bytes/nul-" + i + "?size=10"));
      }
      JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray(urls))
          .put("limits", new JsonObject().put("concurrency", 16).put("retries", 0))
          .put("labels", new JsonObject().put("team", "a\u0000b"));
      RunningService.Response r = fetchd.post("/jobs", body.encode());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      String id = r.json().getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(60));
      assertThat(done.getString("state")).isEqualTo("completed");
      assertThat(sql("SELECT count(*) FROM fetchd_items WHERE job_id = '" + id + "' AND state IN ('queued', 'running')"))
          .as("items left unsaved").isZero();
      assertThat(sql("SELECT count(*) FROM fetchd_items WHERE job_id = '" + id + "' AND state = 'succeeded'"))
          .isEqualTo(done.getJsonObject("progress").getLong("succeeded"));
      JsonObject progress = fetchd.get("/jobs/" + id).json().getJsonObject("progress");
      assertThat(progress.getLong("succeeded") + progress.getLong("failed")).isEqualTo(300);
      assertThat(fetchd.get("/jobs/" + id + "/items/1/content").status()).isIn(200, 404);
      assertThat(fetchd.get("/jobs/" + id + "/items/5/content").status()).isEqualTo(200);
    } finally {
      hostile.close().await();
    }
  }

  @Test
  void aStoreWriteThatKeepsFailingEndsTheJobFailedNotCompletedAndIsCounted() {
    try (RunningService fetchd = replica(Map.of())) {
      assertThat(fetchd.metric("fetchd_store_write_failures_total", "store", "jobs")).isZero();
      // a real refusal by the database for one item's outcome, whatever the client does
      exec("CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.url LIKE '%poison%' AND NEW.state <> 'queued'"
          + " THEN RAISE EXCEPTION 'poisoned write'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
      exec("CREATE TRIGGER poison BEFORE UPDATE ON fetchd_items FOR EACH ROW EXECUTE FUNCTION poison()");
      String id = fetchd.submitDownload(List.of(target.url("/bytes/ok-1"), target.url("/bytes/poison"),
          target.url("/bytes/ok-2")), null).getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getString("state")).isEqualTo("failed");
      assertThat(done.getJsonObject("error").getString("code")).isEqualTo("store_write_failed");
      // the last save of the outcomes: its first try and three retries, each refused
      assertThat(fetchd.metric("fetchd_store_write_failures_total", "store", "jobs")).isGreaterThanOrEqualTo(4);
      assertThat(fetchd.metric("fetchd_store_write_failures_total", "store", "files")).isZero();
      // the job's progress and its items agree, as saved
      JsonObject progress = done.getJsonObject("progress");
      long succeeded = fetchd.items(id).stream().filter(i -> i.getString("state").equals("succeeded")).count();
      long queued = fetchd.items(id).stream().filter(i -> i.getString("state").equals("queued")).count();
      assertThat(progress.getLong("succeeded")).as(done + " " + fetchd.items(id)).isEqualTo(succeeded);
      assertThat(progress.getLong("queued")).as(done + " " + fetchd.items(id)).isEqualTo(queued);
    }
  }

  /**
   * The last save of a job's outcomes is retried for about 3 s; with the shortest lease allowed (1 s) the lease
   * must still be renewed meanwhile, or the rescuer takes the job back and runs it again as another attempt.
   */
  @Test
  void aJobSavingItsEndKeepsItsLeaseThoughTheSaveOutlastsIt() {
    try (RunningService fetchd = replica(Map.of("leaseMs", 1000))) {
      exec("CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN IF NEW.url LIKE '%poison%' AND NEW.state <> 'queued'"
          + " THEN RAISE EXCEPTION 'poisoned write'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
      exec("CREATE TRIGGER poison BEFORE UPDATE ON fetchd_items FOR EACH ROW EXECUTE FUNCTION poison()");
      String id = fetchd.submitDownload(List.of(target.url("/bytes/ok-1"), target.url("/bytes/poison")), null)
          .getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getJsonObject("error").getString("code")).as(done.encode()).isEqualTo("store_write_failed");
      assertThat(sql("SELECT attempt FROM fetchd_jobs WHERE id = '" + id + "'")).as("claimed once").isEqualTo(1);
    }
  }

  // ---- 3: one watch per job per replica ---------------------------------------------------------------

  @Test
  void followersOnAnotherReplicaGetEachEventOnce() throws Exception {
    try (RunningService b = replica(Map.of("maxRunningJobs", 1))) {
      // b is kept busy, so the followed job runs on a
      String busy = b.submitDownload(List.of(target.url("/stall?busy")), null).getString("id");
      awaitState(b, busy, "running");
      try (RunningService a = replica(Map.of())) {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
          urls.add(target.url("/bytes/follow-" + i + "?delay=60"));
        }
        String id = a.submitDownload(urls, new JsonObject().put("concurrency", 2)).getString("id");
        List<CompletableFuture<HttpResponse<java.util.stream.Stream<String>>>> streams = new ArrayList<>();
        for (int f = 0; f < 4; f++) {
          streams.add(http.sendAsync(HttpRequest.newBuilder(URI.create(b.baseUrl() + "/jobs/" + id + "/events"))
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
          List<String> progress = events.stream().filter(e -> e.startsWith("progress ")).toList();
          assertThat(progress).as("each progress event once: " + events).doesNotHaveDuplicates();
          assertThat(events.stream().filter(e -> e.startsWith("state ") && e.contains("completed")).count())
              .as(events.toString()).isEqualTo(1);
          assertThat(events.get(events.size() - 1)).startsWith("state ").contains("completed");
          long last = -1;
          for (String p : progress) {
            long succeeded = new JsonObject(p.substring("progress ".length())).getLong("succeeded");
            assertThat(succeeded).as("in order: " + progress).isGreaterThanOrEqualTo(last);
            last = succeeded;
          }
        }
      }
      b.delete("/jobs/" + busy);
    }
  }

  // ---- 4: cancel while a claimed job loads its items ----------------------------------------------------

  @Test
  void cancelWhileAClaimedJobLoadsLeavesNoQueuedItem() {
    try (RunningService fetchd = replica(Map.of("http.maxBodyBytes", 16 << 20, "jobs.maxUrls", 100_000))) {
      List<String> urls = new ArrayList<>(60_000);
      for (int i = 0; i < 60_000; i++) {
        urls.add(target.url("/bytes/many-" + i + "?delay=50"));
      }
      String id = fetchd.submitDownload(urls, new JsonObject().put("concurrency", 1)).getString("id");
      awaitState(fetchd, id, "running");
      RunningService.Response r = fetchd.delete("/jobs/" + id);
      assertThat(r.status()).isEqualTo(200);
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getString("state")).isEqualTo("cancelled");
      RunningService.await("the store's items settle", Duration.ofSeconds(10),
          () -> sql("SELECT count(*) FROM fetchd_items WHERE job_id = '" + id + "' AND state IN ('queued', 'running')") == 0);
      JsonObject progress = fetchd.get("/jobs/" + id).json().getJsonObject("progress");
      assertThat(progress.getLong("queued")).isZero();
      assertThat(progress.getLong("cancelled") + progress.getLong("succeeded")).isEqualTo(60_000);
    }
  }

  // ---- 5: the LISTEN connection ends with the service ---------------------------------------------------

  @Test
  void theListenConnectionClosesAtShutdown() {
    String listening = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN \"fetchd_jobs_" + SCHEMA + "\"%'";
    RunningService fetchd = replica(Map.of());
    try {
      RunningService.await("listening", Duration.ofSeconds(10), () -> sql(listening) == 1);
      fetchd.undeploy();
      RunningService.await("the LISTEN connection closed", Duration.ofSeconds(10), () -> sql(listening) == 0);
      // and it does not come back
      long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
      while (System.nanoTime() < end) {
        assertThat(sql(listening)).isZero();
      }
    } finally {
      fetchd.close();
    }
  }

  // ---- 7: gauges of jobs by state, and transitions counted ----------------------------------------------

  @Test
  void jobGaugesAgreeOnEveryReplicaAndFallAfterRetention() {
    Map<String, Object> s = Map.of("jobs.retentionMs", 1500);
    try (RunningService a = replica(s); RunningService b = replica(s)) {
      String id = a.submitDownload(List.of(target.url("/bytes/gauge")), null).getString("id");
      a.awaitTerminal(id, Duration.ofSeconds(20));
      for (RunningService r : List.of(a, b)) {
        RunningService.await("completed counted on every replica", Duration.ofSeconds(10),
            () -> r.metric("fetchd_jobs", "state", "completed") == 1 && r.metric("fetchd_jobs", "state", "running") == 0);
      }
      assertThat(a.metric("fetchd_job_transitions_total", "from", "running", "to", "completed")
          + b.metric("fetchd_job_transitions_total", "from", "running", "to", "completed")).isEqualTo(1);
      RunningService.await("job removed", Duration.ofSeconds(15), () -> a.get("/jobs/" + id).status() == 404);
      for (RunningService r : List.of(a, b)) {
        RunningService.await("completed gauge falls after retention", Duration.ofSeconds(10),
            () -> r.metric("fetchd_jobs", "state", "completed") == 0);
      }
    }
  }
}
