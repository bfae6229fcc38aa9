package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** fetchd with FETCHD_STORE=postgres, in process: the same behaviour as the in-memory store, plus sharing. */
class PostgresModeTest {
  static final String SCHEMA = "fetchd_test_mode";
  static TargetServer target;
  static Vertx admin;

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

  static RunningService replica(Path dataDir, Map<String, Object> extra) {
    Map<String, Object> s = new HashMap<>(Map.of("store", "postgres", "pg.url", PgTestDatabase.url(),
        "pg.schema", SCHEMA, "leaseMs", 2000));
    if (dataDir != null) {
      s.put("data.dir", dataDir.toString());
    }
    s.putAll(extra);
    return RunningService.start(s);
  }

  @Test
  void downloadsCancelAndIdempotencyWorkAsWithTheMemoryStore() {
    try (RunningService fetchd = replica(null, Map.of())) {
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        urls.add(target.url("/bytes/pg-" + i + "?size=" + (500 + i)));
      }
      String id = fetchd.submitDownload(urls, new JsonObject().put("concurrency", 16)).getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(60));
      assertThat(done.getString("state")).isEqualTo("completed");
      assertThat(done.getJsonObject("progress").getLong("succeeded")).isEqualTo(120);
      List<JsonObject> items = fetchd.items(id);
      assertThat(items).hasSize(120);
      for (JsonObject item : items) {
        int i = item.getInteger("index");
        assertThat(item.getString("sha256")).isEqualTo(TargetServer.sha256("pg-" + i, 500 + i));
      }
      assertThat(fetchd.getBytes("/jobs/" + id + "/items/7/content").body()).isEqualTo(TargetServer.body("pg-7", 507));

      String stalled = fetchd.submitDownload(List.of(target.url("/stall?pg=1"), target.url("/drip/pgd?intervalMs=50")),
          null).getString("id");
      RunningService.await("running", Duration.ofSeconds(10), () -> fetchd.partialFiles() == 1);
      JsonObject cancelled = fetchd.delete("/jobs/" + stalled).json();
      assertThat(cancelled.getString("state")).isEqualTo("cancelled");
      assertThat(fetchd.partialFiles()).isZero();
      assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();

      String body = new JsonObject().put("type", "download").put("urls", new JsonArray().add(target.url("/bytes/pgi"))).encode();
      String first = fetchd.post("/jobs", body, "Idempotency-Key", "pg-key").json().getString("id");
      RunningService.Response again = fetchd.post("/jobs", body, "Idempotency-Key", "pg-key");
      assertThat(again.status()).isEqualTo(200);
      assertThat(again.json().getString("id")).isEqualTo(first);
    }
  }

  @Test
  void aJobSubmittedToOneReplicaCanBeReadAndCancelledThroughAnother() throws Exception {
    Path data = Files.createTempDirectory("fetchd-shared");
    try (RunningService a = replica(data, Map.of("maxRunningJobs", 4));
         RunningService b = replica(data, Map.of("maxRunningJobs", 4))) {
      String done = a.submitDownload(List.of(target.url("/bytes/shared?size=64")), null).getString("id");
      JsonObject viaB = b.awaitTerminal(done, Duration.ofSeconds(20));
      assertThat(viaB.getString("state")).isEqualTo("completed");
      // the file is read back through the replica that did not fetch it (shared data dir)
      assertThat(b.getBytes("/jobs/" + done + "/items/0/content").body()).isEqualTo(TargetServer.body("shared", 64));

      // an event stream opened on B follows a job that A runs, to its end
      String followed = a.submitDownload(List.of(target.url("/bytes/followed?size=10&delay=1500")), null).getString("id");
      java.net.http.HttpResponse<String> stream = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(b.baseUrl() + "/jobs/" + followed + "/events"))
              .timeout(Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(stream.body()).contains("event: state\ndata: {\"state\":\"completed\"}");

      String stalled = a.submitDownload(List.of(target.url("/stall?shared=1")), null).getString("id");
      RunningService.await("claimed", Duration.ofSeconds(10),
          () -> b.get("/jobs/" + stalled).json().getString("state").equals("running"));
      JsonObject cancelled = b.delete("/jobs/" + stalled).json();
      assertThat(cancelled.getString("state")).isEqualTo("cancelled");
      RunningService.await("permits back on both", Duration.ofSeconds(10),
          () -> a.metric("fetchd_fetch_permits_in_use") == 0 && b.metric("fetchd_fetch_permits_in_use") == 0);
    } finally {
      try (Stream<Path> s = Files.walk(data)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void aReplicaThatShutsDownHandsItsJobsBackAndAnotherFinishesThem() throws Exception {
    Path data = Files.createTempDirectory("fetchd-handback");
    try {
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        urls.add(target.url("/bytes/hb-" + i + "?size=100&delay=" + (i < 5 ? 0 : 400)));
      }
      String id;
      RunningService a = replica(data, Map.of("shutdown.graceMs", 200));
      try {
        id = a.submitDownload(urls, new JsonObject().put("concurrency", 2)).getString("id");
        RunningService.await("A runs it and has items done", Duration.ofSeconds(10),
            () -> a.verticle().engine().runningCount() == 1
                && a.get("/jobs/" + id).json().getJsonObject("progress").getLong("succeeded") >= 3);
      } finally {
        a.close(); // graceful: grace 200 ms, then the running job goes back to the queue
      }
      try (RunningService b = replica(data, Map.of())) {
        JsonObject done = b.awaitTerminal(id, Duration.ofSeconds(60));
        assertThat(done.getString("state")).isEqualTo("completed");
        assertThat(done.getJsonObject("progress").getLong("succeeded")).isEqualTo(20);
        for (JsonObject item : b.items(id)) {
          int i = item.getInteger("index");
          assertThat(item.getString("sha256")).isEqualTo(TargetServer.sha256("hb-" + i, 100));
          assertThat(b.getBytes(item.getString("content")).body()).isEqualTo(TargetServer.body("hb-" + i, 100));
        }
        // items done before the hand-back were not fetched again, and each item has exactly one file
        for (int i = 0; i < 3; i++) {
          assertThat(target.requests("/bytes/hb-" + i)).isEqualTo(1);
        }
        try (Stream<Path> files = Files.walk(data.resolve("bodies/sha256"))) {
          assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(20);
        }
      }
    } finally {
      try (Stream<Path> s = Files.walk(data)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
