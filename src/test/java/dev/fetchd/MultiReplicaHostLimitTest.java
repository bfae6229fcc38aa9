package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Per-host politeness holds for the whole cluster, not per replica: three replicas as separate JVMs on one
 * PostgreSQL schema, each running a job against the same host, and the host (counting what arrives) never
 * sees more than the jobs' {@code perHostConcurrency}, nor two starts closer than their {@code perHostDelayMs}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiReplicaHostLimitTest {
  private static final String SCHEMA = "fetchd_test_multi_hosts";
  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Replica> replicas = new ArrayList<>();
  private Vertx vertx;
  private Path dir;

  record Replica(Process process, Path log, int port) {
    String base() {
      return "http://127.0.0.1:" + port;
    }
  }

  @BeforeAll
  void launchReplicas() throws Exception {
    PgTestDatabase.url(); // skips without a database
    vertx = Vertx.vertx();
    PgTestDatabase.dropSchema(vertx, SCHEMA);
    dir = Files.createTempDirectory("fetchd-multi-hosts");
    Path data = Files.createDirectories(dir.resolve("data"));
    for (int i = 0; i < 3; i++) {
      replicas.add(launch(data, dir.resolve("replica-" + i + ".log")));
    }
  }

  @AfterAll
  void stopReplicas() throws Exception {
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

  @Test
  void perHostConcurrencyHoldsAcrossReplicas() throws Exception {
    try (TargetServer target = TargetServer.start(2)) {
      // six jobs, each replica runs one at a time: all three replicas fetch from the one host together
      List<String> ids = new ArrayList<>();
      for (int j = 0; j < 6; j++) {
        JsonArray urls = new JsonArray();
        for (int i = 0; i < 10; i++) {
          urls.add(target.url("/bytes/c" + j + "-" + i + "?size=2000&delay=120"));
        }
        ids.add(submit(replicas.get(j % 3), urls, new JsonObject().put("concurrency", 4).put("perHostConcurrency", 2)));
      }
      for (String id : ids) {
        JsonObject job = awaitTerminal(id, Duration.ofSeconds(90));
        assertThat(job.getString("state")).as(id).isEqualTo("completed");
        assertThat(job.getJsonObject("progress").getLong("succeeded")).as(id).isEqualTo(10);
      }
      assertThat(runners(ids)).as("replicas that ran the jobs").hasSize(3);
      assertThat(target.requests()).isEqualTo(60);
      assertThat(target.maxInFlight()).as("requests in flight at the host at once, all replicas together")
          .isEqualTo(2);
      assertNothingHeld();
    }
  }

  @Test
  void perHostDelaySpacesStartsAcrossReplicas() throws Exception {
    long delay = 500;
    List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
    Set<String> warmJobs = new HashSet<>();
    List<HttpServerRequest> held = new ArrayList<>();
    HttpServer server = vertx.createHttpServer()
        .requestHandler(req -> {
          if (req.path().startsWith("/d")) {
            arrivals.add(System.nanoTime());
            req.response().end("ok");
          } else {
            // warm-up requests are held until all three warm-up jobs run at once, so each replica runs one
            // (each runs one job at a time); or, if that never happens, for 20 s
            warmJobs.add(req.path().substring(0, 3));
            held.add(req);
            if (warmJobs.size() == 3) {
              held.forEach(r -> r.response().end("ok"));
              held.clear();
            } else {
              vertx.setTimer(20_000, t -> {
                if (held.remove(req)) {
                  req.response().end("ok");
                }
              });
            }
          }
        })
        .listen(0, "127.0.0.1").await();
    try {
      // a replica's first requests to a host (a new connection pool in a loaded JVM) may take long enough
      // to blur the spacing seen here: warm each one up first on the same host, then measure
      List<String> warmUps = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        JsonArray urls = new JsonArray();
        for (int i = 0; i < 3; i++) {
          urls.add("http://127.0.0.1:" + server.actualPort() + "/w" + j + "-" + i);
        }
        warmUps.add(submit(replicas.get(j), urls, new JsonObject()));
      }
      for (String id : warmUps) {
        assertThat(awaitTerminal(id, Duration.ofSeconds(60)).getString("state")).as(id).isEqualTo("completed");
      }
      assertThat(runners(warmUps)).as("replicas warmed up").hasSize(3);
      List<String> ids = new ArrayList<>();
      for (int j = 0; j < 3; j++) {
        JsonArray urls = new JsonArray();
        for (int i = 0; i < 4; i++) {
          urls.add("http://127.0.0.1:" + server.actualPort() + "/d" + j + "-" + i);
        }
        ids.add(submit(replicas.get(j), urls, new JsonObject().put("concurrency", 4).put("perHostConcurrency", 4)
            .put("perHostDelayMs", delay)));
      }
      for (String id : ids) {
        assertThat(awaitTerminal(id, Duration.ofSeconds(60)).getString("state")).as(id).isEqualTo("completed");
      }
      assertThat(runners(ids)).as("replicas that ran the jobs").hasSize(3);
      List<Long> sorted;
      synchronized (arrivals) {
        sorted = new ArrayList<>(arrivals);
      }
      Collections.sort(sorted);
      assertThat(sorted).hasSize(12);
      List<Long> gapsMs = new ArrayList<>();
      for (int i = 1; i < sorted.size(); i++) {
        gapsMs.add((sorted.get(i) - sorted.get(i - 1)) / 1_000_000);
      }
      // the database spaces the grants by the delay; what arrives may shift by the trip from grant to request
      assertThat(gapsMs).as("ms between two request starts at the host: " + gapsMs).allMatch(g -> g >= delay - 150);
      assertNothingHeld();
    } finally {
      server.close().await();
    }
  }

  private void assertNothingHeld() throws Exception {
    // every cluster slot was given back (polled: the last release may still be on its way)
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    long slots;
    do {
      slots = sql("SELECT count(*) FROM " + SCHEMA + ".fetchd_host_slots");
      if (slots > 0) {
        assertThat(System.nanoTime()).as("host slots left: " + slots).isLessThan(deadline);
        Thread.sleep(50);
      }
    } while (slots > 0);
    for (Replica r : replicas) {
      String metrics = send(HttpRequest.newBuilder(URI.create(r.base() + "/metrics"))).body();
      assertThat(metrics).contains("fetchd_host_cluster_waiters 0.0");
    }
  }

  private long sql(String query) {
    PgConnection conn = PgConnection.connect(vertx, PgConnectOptions.fromUri(PgTestDatabase.url())).await();
    try {
      return conn.query(query).execute().await().iterator().next().getLong(0);
    } finally {
      conn.close().await();
    }
  }

  /** The replicas whose logs say they claimed one of {@code ids}. */
  private Set<Integer> runners(List<String> ids) throws IOException {
    Set<Integer> out = new HashSet<>();
    for (int i = 0; i < replicas.size(); i++) {
      String log = Files.readString(replicas.get(i).log());
      for (String id : ids) {
        if (log.contains("job " + id + " queued -> running: claimed by")) {
          out.add(i);
        }
      }
    }
    return out;
  }

  private String submit(Replica to, JsonArray urls, JsonObject limits) throws Exception {
    String body = new JsonObject().put("type", "download").put("urls", urls).put("limits", limits).encode();
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(to.base() + "/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return new JsonObject(r.body()).getString("id");
  }

  /** Long-polls (at most 30 s a time) until the job has ended, within {@code timeout}. */
  private JsonObject awaitTerminal(String id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(replicas.get(0).base() + "/jobs/" + id
          + "?wait=30")), Duration.ofSeconds(45));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonObject job = new JsonObject(r.body());
      if (List.of("completed", "failed", "cancelled", "timed_out").contains(job.getString("state"))) {
        return job;
      }
      assertThat(System.nanoTime()).as("job " + id + " ended within " + timeout).isLessThan(deadline);
    }
  }

  // ---- launching replicas (as in MultiReplicaTest) -------------------------------------------------------

  private Replica launch(Path data, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.fetchd.Main");
    pb.environment().keySet().removeIf(k -> k.startsWith("FETCHD_"));
    Map<String, String> env = Map.of("FETCHD_HTTP_PORT", "0", "FETCHD_DATA_DIR", data.toString(),
        "FETCHD_STORE", "postgres", "FETCHD_PG_URL", PgTestDatabase.url(), "FETCHD_PG_SCHEMA", SCHEMA,
        "FETCHD_ALLOW_PRIVATE_NETWORKS", "true", "FETCHD_MAX_RUNNING_JOBS", "1", "FETCHD_SHUTDOWN_GRACE_MS", "1000");
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (System.nanoTime() < deadline) {
      Matcher m = PORT.matcher(Files.readString(log));
      if (m.find()) {
        return new Replica(p, log, Integer.parseInt(m.group(1)));
      }
      assertThat(p.isAlive()).as("replica started: " + Files.readString(log)).isTrue();
      Thread.sleep(50);
    }
    throw new AssertionError("replica did not start: " + Files.readString(log));
  }

  private HttpResponse<String> send(HttpRequest.Builder b) throws IOException, InterruptedException {
    return send(b, Duration.ofSeconds(30));
  }

  private HttpResponse<String> send(HttpRequest.Builder b, Duration timeout) throws IOException, InterruptedException {
    return http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
  }
}
