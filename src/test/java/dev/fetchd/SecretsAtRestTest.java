package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.LogCapture;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With the PostgreSQL store, secret request values are stored encrypted, or the job is refused without a key. */
class SecretsAtRestTest {
  static final String SCHEMA = "fetchd_test_secrets";
  static TargetServer target;
  static Vertx admin;

  @BeforeAll
  static void start() {
    PgTestDatabase.url(); // skips the class without a database
    target = TargetServer.start();
    target.route("/api/export.csv", RequestOptionsTest::bearerOnly);
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

  static RunningService fetchd(String key) {
    Map<String, Object> s = new HashMap<>(Map.of("store", "postgres", "pg.url", PgTestDatabase.url(), "pg.schema", SCHEMA));
    if (key != null) {
      s.put("secrets.key", key);
    }
    return RunningService.start(s);
  }

  static JsonObject bearerJob() {
    return new JsonObject().put("type", "download")
        .put("urls", new JsonArray().add(target.url("/api/export.csv")))
        .put("request", new JsonObject()
            .put("headers", new JsonObject().put("Authorization", "Bearer " + RequestOptionsTest.TOKEN)
                .put("Accept-Language", "fr"))
            .put("cookies", new JsonArray().add(new JsonObject().put("name", "sid").put("value", RequestOptionsTest.API_KEY))));
  }

  @Test
  void secretValuesAreEncryptedInTheRowAndTheJobStillRunsAndTheEventStreamNeverShowsThem() throws Exception {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    try (RunningService fetchd = fetchd(Base64.getEncoder().encodeToString(key)); LogCapture logs = LogCapture.start()) {
      JsonObject job = bearerJob();
      job.getJsonArray("urls").add(target.url("/bytes/slow?size=10&delay=300")); // still running as the stream starts
      RunningService.Response r = fetchd.post("/jobs", job.encode());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      String id = r.json().getString("id");
      CompletableFuture<HttpResponse<String>> live = HttpClient.newHttpClient().sendAsync(
          HttpRequest.newBuilder(URI.create(fetchd.baseUrl() + "/jobs/" + id + "/events"))
              .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getJsonObject("progress").getLong("succeeded")).as(done.encode()).isEqualTo(2);
      String liveEvents = live.get(30, TimeUnit.SECONDS).body();
      assertThat(liveEvents).contains("event: item").contains("\"state\":\"completed\"");
      String replayed = fetchd.get("/jobs/" + id + "/events").body(); // a finished job: its terminal events again
      assertThat(replayed).contains("\"state\":\"completed\"");
      assertThat(target.requestHeaders("/api/export.csv")).last()
          .satisfies(h -> assertThat(h).containsEntry("Cookie", "sid=" + RequestOptionsTest.API_KEY));

      Row row = PgTestDatabase.sql(admin, SCHEMA, "SELECT spec::text AS spec, row_to_json(j)::text AS whole"
          + " FROM fetchd_jobs j WHERE id = '" + id + "'").iterator().next();
      JsonObject spec = new JsonObject(row.getString("spec"));
      String sealed = spec.getJsonObject("request").getJsonObject("headers").getString("Authorization");
      assertThat(sealed).startsWith("enc:v1:");
      assertThat(spec.getJsonObject("request").getJsonObject("headers").getString("Accept-Language")).isEqualTo("fr");
      assertThat(spec.getJsonObject("request").getJsonArray("cookies").getJsonObject(0).getString("value"))
          .startsWith("enc:v1:");
      String items = PgTestDatabase.sql(admin, SCHEMA, "SELECT coalesce(string_agg(row_to_json(i)::text, ','), '') AS t"
          + " FROM fetchd_items i").iterator().next().getString("t");
      for (String out : new String[] {row.getString("whole"), items, done.encode(), fetchd.get("/metrics").body(),
          logs.text(), liveEvents, replayed}) {
        assertThat(out).doesNotContain(RequestOptionsTest.TOKEN).doesNotContain(RequestOptionsTest.API_KEY);
      }
    }
  }

  @Test
  void aSessionCookieASiteSetsIsStoredAsStarsInTheItemsHeads() {
    RequestOptionsTest.signInSite(target);
    try (RunningService fetchd = fetchd(null)) {
      RunningService.Response r = fetchd.post("/jobs", RequestOptionsTest.signInCrawl(target).encode());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      String id = r.json().getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getJsonObject("progress").getLong("succeeded")).as(done.encode()).isEqualTo(2);
    }
    String heads = PgTestDatabase.sql(admin, SCHEMA, "SELECT string_agg(coalesce(request_head, '') || coalesce("
        + "response_head, ''), '' ORDER BY idx) AS t FROM fetchd_items").iterator().next().getString("t");
    assertThat(heads).contains("Set-Cookie: session=***; Path=/; HttpOnly").contains("Cookie: ***")
        .doesNotContain(RequestOptionsTest.SESSION);
  }

  @Test
  void withoutAKeyAJobWithSecretsIsRefusedClearlyAndOneWithoutSecretsRuns() {
    try (RunningService fetchd = fetchd(null)) {
      RunningService.Response r = fetchd.post("/jobs", bearerJob().encode());
      assertThat(r.status()).isEqualTo(422);
      assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
      JsonObject problem = r.json();
      assertThat(problem.getString("type")).endsWith("/secrets-key-missing");
      assertThat(problem.getString("detail")).contains("FETCHD_SECRETS_KEY");
      assertThat(problem.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
          .containsExactly("/request/headers/Authorization", "/request/cookies/0/value");
      assertThat(r.body()).doesNotContain(RequestOptionsTest.TOKEN);
      assertThat(PgTestDatabase.number(admin, SCHEMA, "SELECT count(*) FROM fetchd_jobs")).isZero();

      JsonObject plain = new JsonObject().put("type", "download").put("urls", new JsonArray().add(target.url("/bytes/p?size=3")))
          .put("request", new JsonObject().put("headers", new JsonObject().put("Accept-Language", "fr")));
      RunningService.Response ok = fetchd.post("/jobs", plain.encode());
      assertThat(ok.status()).as(ok.body()).isEqualTo(202);
      assertThat(fetchd.awaitTerminal(ok.json().getString("id"), Duration.ofSeconds(30)).getString("state"))
          .isEqualTo("completed");
    }
  }

  @Test
  void aJobWhoseSecretsCannotBeOpenedFailsInsteadOfSendingPlaceholders() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    byte[] other = key.clone();
    other[0] ^= 1;
    String id;
    try (RunningService a = fetchd(Base64.getEncoder().encodeToString(key))) {
      RunningService.Response r = a.post("/jobs", bearerJob().put("priority", 1).encode());
      assertThat(r.status()).isEqualTo(202);
      id = r.json().getString("id");
      a.awaitTerminal(id, Duration.ofSeconds(30));
    }
    // the same row reread by a replica with another key: the view still hides the values, and re-running it fails
    PgTestDatabase.sql(admin, SCHEMA, "UPDATE fetchd_jobs SET state = 'queued', started_at = NULL, finished_at = NULL,"
        + " claimed_by = NULL, deadline_at = NULL WHERE id = '" + id + "'");
    PgTestDatabase.sql(admin, SCHEMA, "UPDATE fetchd_items SET state = 'queued' WHERE job_id = '" + id + "'");
    int before = target.requestHeaders("/api/export.csv").size();
    try (RunningService b = fetchd(Base64.getEncoder().encodeToString(other))) {
      JsonObject job = b.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(job.getString("state")).isEqualTo("failed");
      assertThat(job.getJsonObject("error").getString("code")).isEqualTo("secrets_unavailable");
      assertThat(job.getJsonObject("spec").getJsonObject("request").getJsonObject("headers").getString("Authorization"))
          .isEqualTo("***");
    }
    assertThat(target.requestHeaders("/api/export.csv")).hasSize(before);
  }
}
