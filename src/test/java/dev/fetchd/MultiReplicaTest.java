package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas as separate JVMs on one PostgreSQL and one data dir. One is killed (SIGKILL) mid-run,
 * another frozen (SIGSTOP) past its lease and then resumed. Checked from the outside: every accepted job
 * ends once, completed; every item has exactly one stored file with the sha256 of what was served; no
 * job was completed twice; no permit or lease is left.
 */
class MultiReplicaTest {
  private static final String SCHEMA = "fetchd_test_multi";
  private static final int JOBS = 240;
  private static final int ITEMS = 4;
  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  record Replica(Process process, Path log, int port) {
    String base() {
      return "http://127.0.0.1:" + port;
    }
  }

  private Replica launch(Path data, Path log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), "dev.fetchd.Main");
    pb.environment().keySet().removeIf(k -> k.startsWith("FETCHD_"));
    Map<String, String> env = Map.of("FETCHD_HTTP_PORT", "0", "FETCHD_DATA_DIR", data.toString(),
        "FETCHD_STORE", "postgres", "FETCHD_PG_URL", PgTestDatabase.url(), "FETCHD_PG_SCHEMA", SCHEMA,
        "FETCHD_LEASE_MS", "1500", "FETCHD_ALLOW_PRIVATE_NETWORKS", "true", "FETCHD_MAX_RUNNING_JOBS", "4",
        "FETCHD_SHUTDOWN_GRACE_MS", "1000");
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
    return http.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonObject getJson(Replica r, String path) throws Exception {
    HttpResponse<String> resp = send(HttpRequest.newBuilder(URI.create(r.base() + path)));
    assertThat(resp.statusCode()).as(path + ": " + resp.body()).isEqualTo(200);
    return new JsonObject(resp.body());
  }

  private static void signal(Process p, String sig) throws Exception {
    new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void jobsSurviveAKilledAndAFrozenReplica(@TempDir Path dir) throws Exception {
    PgTestDatabase.url(); // skips without a database
    Vertx vertx = Vertx.vertx();
    PgTestDatabase.dropSchema(vertx, SCHEMA);
    Path data = Files.createDirectories(dir.resolve("data"));
    List<Replica> replicas = new ArrayList<>();
    try (TargetServer target = TargetServer.start(2)) {
      for (int i = 0; i < 3; i++) {
        replicas.add(launch(data, dir.resolve("replica-" + i + ".log")));
      }
      Replica killed = replicas.get(0);
      Replica frozen = replicas.get(1);
      Replica steady = replicas.get(2);

      // a few hundred jobs, spread over the replicas that receive them
      List<String> ids = new ArrayList<>();
      for (int j = 0; j < JOBS; j++) {
        JsonArray urls = new JsonArray();
        for (int i = 0; i < ITEMS; i++) {
          urls.add(target.url("/bytes/m" + j + "-" + i + "?size=" + (2000 + j * 7 + i) + "&delay=" + (20 + (j * 31 + i * 17) % 150)));
        }
        String body = new JsonObject().put("type", "download").put("urls", urls)
            .put("limits", new JsonObject().put("concurrency", 2).put("retries", 3)).encode();
        Replica to = replicas.get(j % 3);
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(to.base() + "/jobs"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        ids.add(new JsonObject(r.body()).getString("id"));
      }

      // mid-run: kill one replica outright, freeze another past its lease
      awaitCompleted(steady, JOBS / 6, Duration.ofSeconds(60));
      killed.process().destroyForcibly();
      Matcher name = Pattern.compile("replica (\\S+) sharing the job queue").matcher(Files.readString(frozen.log()));
      assertThat(name.find()).isTrue();
      String frozenReplica = name.group(1);
      // freeze it while it holds claims (on a loaded machine jobs may finish as fast as they arrive): stop it,
      // and if it held nothing at that moment, let it go on and try again
      long heldWhenFrozen = 0;
      long freezeBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (heldWhenFrozen == 0 && System.nanoTime() < freezeBy) {
        signal(frozen.process(), "STOP");
        heldWhenFrozen = countRunningClaims(vertx, frozenReplica);
        if (heldWhenFrozen == 0) {
          signal(frozen.process(), "CONT");
        }
      }
      // frozen until every job it held has been taken over by another replica (its leases ran out)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      assertThat(heldWhenFrozen).as("the frozen replica was running jobs").isPositive();
      long held;
      do {
        held = countRunningClaims(vertx, frozenReplica);
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the frozen replica's jobs were not taken over: " + held + " still held");
        }
      } while (held > 0);
      signal(frozen.process(), "CONT");

      awaitCompleted(steady, JOBS, Duration.ofSeconds(180));

      // every job ended once, completed, with every item stored once and intact
      Map<String, Integer> completions = new HashMap<>();
      for (Replica r : replicas) {
        Matcher m = Pattern.compile("job (\\S+) running -> completed").matcher(Files.readString(r.log()));
        while (m.find()) {
          completions.merge(m.group(1), 1, Integer::sum);
        }
      }
      for (int j = 0; j < JOBS; j++) {
        String id = ids.get(j);
        JsonObject job = getJson(steady, "/jobs/" + id);
        assertThat(job.getString("state")).as(id).isEqualTo("completed");
        assertThat(job.getJsonObject("progress").getLong("succeeded")).as(id).isEqualTo(ITEMS);
        // never twice; a line can be missing: the killed replica's last log lines die in its async buffer
        assertThat(completions.getOrDefault(id, 0)).as("completions of " + id).isLessThanOrEqualTo(1);
        JsonArray items = getJson(steady, "/jobs/" + id + "/items").getJsonArray("items");
        for (int i = 0; i < ITEMS; i++) {
          JsonObject item = items.getJsonObject(i);
          assertThat(item.getString("sha256")).isEqualTo(TargetServer.sha256("m" + j + "-" + i, 2000 + j * 7 + i));
        }
        for (int i = 0; i < ITEMS; i++) {
          String sha = items.getJsonObject(i).getString("sha256");
          assertThat(data.resolve("bodies/sha256/" + sha.substring(0, 2) + "/" + sha)).as("body of " + id + "/" + i).exists();
        }
      }
      // bodies are stored by content: a body stored by a replica that died, and fetched again by the one that took
      // its job over, is the same file; each distinct body is on disk once
      try (Stream<Path> files = Files.walk(data.resolve("bodies"))) {
        assertThat(files.filter(Files::isRegularFile).count()).isEqualTo((long) JOBS * ITEMS);
      }
      // spot-check bodies read back through a replica that may not have fetched them
      for (int j = 0; j < JOBS; j += 37) {
        HttpResponse<byte[]> body = http.send(HttpRequest.newBuilder(URI.create(steady.base() + "/jobs/" + ids.get(j)
            + "/items/1/content")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(body.body()).isEqualTo(TargetServer.body("m" + j + "-1", 2000 + j * 7 + 1));
      }
      try (Stream<Path> parts = Files.walk(data)) {
        assertThat(parts.filter(p -> p.toString().endsWith(".part"))).isEmpty();
      }
      // the jobs of the dead and the frozen replica were taken over; the frozen one, back, gave up its claims
      String logs = Files.readString(steady.log()) + Files.readString(frozen.log());
      assertThat(logs).containsPattern("claimed by \\S+ \\(attempt [2-9]\\)");
      assertThat(Files.readString(frozen.log())).doesNotContain("Exception in thread");
      for (Replica r : List.of(frozen, steady)) {
        JsonObject metrics = new JsonObject().put("text", send(HttpRequest.newBuilder(URI.create(r.base() + "/metrics"))).body());
        assertThat(metrics.getString("text")).contains("fetchd_fetch_permits_in_use 0.0");
      }
      PgConnection conn = PgConnection.connect(vertx, PgConnectOptions.fromUri(PgTestDatabase.url())).await();
      try {
        long stillRunning = conn.query("SELECT count(*) FROM " + SCHEMA + ".fetchd_jobs WHERE state <> 'completed'")
            .execute().await().iterator().next().getLong(0);
        assertThat(stillRunning).isZero();
      } finally {
        conn.close().await();
      }
    } finally {
      for (Replica r : replicas) {
        signal(r.process(), "CONT");
        r.process().destroy();
      }
      for (Replica r : replicas) {
        if (!r.process().waitFor(20, TimeUnit.SECONDS)) {
          r.process().destroyForcibly();
        }
      }
      vertx.close().await();
    }
  }

  /** Running jobs a replica still holds a claim on (polled with a short pause; the caller has a deadline). */
  private static long countRunningClaims(Vertx vertx, String replica) throws Exception {
    Thread.sleep(100);
    PgConnection conn = PgConnection.connect(vertx, PgConnectOptions.fromUri(PgTestDatabase.url())).await();
    try {
      return conn.preparedQuery("SELECT count(*) FROM " + SCHEMA + ".fetchd_jobs WHERE state = 'running' AND claimed_by = $1")
          .execute(io.vertx.sqlclient.Tuple.of(replica)).await().iterator().next().getLong(0);
    } finally {
      conn.close().await();
    }
  }

  private void awaitCompleted(Replica r, int n, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      int count = 0;
      String cursor = null;
      do {
        JsonObject page = getJson(r, "/jobs?state=completed&limit=1000" + (cursor == null ? "" : "&cursor=" + cursor));
        count += page.getJsonArray("jobs").size();
        cursor = page.getString("next");
      } while (cursor != null);
      if (count >= n) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("only " + count + " of " + n + " jobs completed in " + timeout);
      }
      Thread.sleep(200);
    }
  }
}
