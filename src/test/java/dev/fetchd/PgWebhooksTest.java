package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import dev.fetchd.testkit.WebhookReceiver;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhooks with PostgreSQL: a delivery recorded and tried by one replica, which then stops, is delivered by
 * another replica on the same schema, with the same webhook-id and signature scheme; a job that ends failed sends
 * job.failed; the request's secret values stay out of the payloads and of the deliveries' rows.
 */
class PgWebhooksTest {
  private static final String SCHEMA = "fetchd_test_pg_webhooks";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String KEY = java.util.Base64.getEncoder().encodeToString(new byte[32]).replace('A', 'k');
  private static TargetServer target;
  private static Vertx admin;

  @BeforeAll
  static void start() {
    PgTestDatabase.url(); // skips the class without a database
    target = TargetServer.start();
    admin = Vertx.vertx();
    PgTestDatabase.dropSchema(admin, SCHEMA);
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

  private static RunningService replica() {
    return replica(2000);
  }

  private static RunningService replica(long leaseMs) {
    return replica(leaseMs, KEY, 2000);
  }

  private static RunningService replica(long leaseMs, String key, long retryBaseMs) {
    // the first retry comes 1.6 to 2.4 s after a failed attempt: time enough to stop the first replica before it
    // with a secrets key: webhook secrets are sealed at rest, and a replica with the same key opens them
    return RunningService.start(new HashMap<>(Map.of("store", "postgres", "pg.url", PgTestDatabase.url(),
        "pg.schema", SCHEMA, "leaseMs", leaseMs, "webhooks.retryBaseMs", retryBaseMs, "secrets.key", key)));
  }

  private static JsonArray deliveries(RunningService s, String id) {
    return s.get("/jobs/" + id + "/deliveries").json().getJsonArray("deliveries");
  }

  /**
   * Submits a job and answers its JSON (202 asserted); a secret the service generated for its webhook is handed
   * to the receiver, which checks signatures with it.
   */
  private static JsonObject submit(RunningService s, JsonObject body, WebhookReceiver receiver) {
    RunningService.Response r = s.post("/jobs", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    String secret = r.json().getJsonObject("spec").getJsonObject("webhook").getString("secret");
    if (receiver != null && secret != null) {
      receiver.secret(secret);
    }
    return r.json();
  }

  @Test
  void aPendingDeliveryOfAStoppedReplicaIsDeliveredByAnother() {
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      receiver.answerNext(500);
      String id;
      String secret;
      try (RunningService first = replica()) {
        JsonObject body = new JsonObject().put("type", "download")
            .put("urls", new JsonArray(List.of(target.url("/bytes/pg-hook?size=10"), target.url("/status/404"))))
            .put("webhook", new JsonObject().put("url", receiver.url("/pg"))
                .put("events", new JsonArray(List.of("job.completed", "item.failed"))));
        JsonObject job = submit(first, body, receiver);
        id = job.getString("id");
        secret = job.getJsonObject("spec").getJsonObject("webhook").getString("secret");
        assertThat(first.awaitTerminal(id, WAIT).getString("state")).isEqualTo("completed");
        // item.failed (answered 500) and job.completed (answered 200) both tried once
        RunningService.await("both events tried", WAIT, () -> receiver.requests() == 2);
        assertThat(first.get("/jobs/" + id).body()).doesNotContain(secret);
        // at rest: the spec's and the pending delivery's copies of the secret are sealed, not in clear
        String key = secret.substring("whsec_".length());
        String spec = PgTestDatabase.sql(admin, SCHEMA, "SELECT spec::text AS s FROM fetchd_jobs WHERE id = '" + id + "'")
            .iterator().next().getString("s");
        assertThat(spec).doesNotContain(key).contains("enc:v1:");
        PgTestDatabase.sql(admin, SCHEMA, "SELECT secret FROM fetchd_webhook_deliveries WHERE job_id = '" + id
            + "' AND status = 'pending'").forEach(row -> assertThat(row.getString("secret"))
                .startsWith("enc:v1:").doesNotContain(key));
      }
      List<WebhookReceiver.Received> byFirst = receiver.received();
      assertThat(byFirst).hasSize(2).allSatisfy(r -> assertThat(r.verified()).isTrue());
      String failedOnce = byFirst.get(0).id();

      try (RunningService second = replica()) {
        JsonArray seen = deliveries(second, id);
        assertThat(seen).hasSize(2);
        RunningService.await("the second replica delivered the pending one", WAIT,
            () -> deliveries(second, id).stream().allMatch(d -> ((JsonObject) d).getString("status").equals("succeeded")));
        List<WebhookReceiver.Received> all = receiver.received();
        assertThat(all).hasSize(3).allSatisfy(r -> assertThat(r.verified()).isTrue());
        assertThat(all.get(2).id()).isEqualTo(failedOnce);
        assertThat(all.get(2).body()).isEqualTo(byFirst.get(0).body());
        JsonObject retried = deliveries(second, id).stream().map(o -> (JsonObject) o)
            .filter(d -> d.getString("id").equals(failedOnce)).findFirst().orElseThrow();
        assertThat(retried.getInteger("attempts")).isEqualTo(2);
        assertThat(retried.getInteger("lastStatus")).isEqualTo(200);
        assertThat(second.metric("fetchd_webhook_deliveries_total", "outcome", "succeeded")).isEqualTo(1);
      }
    }
  }

  @Test
  void anEndEventThatWasNeverRecordedIsRecordedAndDeliveredByTheNextReplica() {
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      String id;
      try (RunningService first = replica()) {
        JsonObject body = new JsonObject().put("type", "download")
            .put("urls", new JsonArray(List.of(target.url("/bytes/pg-missed?size=10"))))
            .put("webhook", new JsonObject().put("url", receiver.url("/missed"))
                .put("events", new JsonArray(List.of("job.completed"))));
        id = submit(first, body, receiver).getString("id");
        assertThat(first.awaitTerminal(id, WAIT).getString("state")).isEqualTo("completed");
        RunningService.await("job.completed delivered", WAIT, () -> receiver.requests() == 1);
      }
      // as if the replica had died between saving the job's end and recording its delivery
      PgTestDatabase.sql(admin, SCHEMA, "DELETE FROM fetchd_webhook_deliveries WHERE job_id = '" + id + "'");
      String firstId = receiver.received().get(0).id();

      try (RunningService second = replica()) {
        RunningService.await("the missed end event delivered again", WAIT, () -> receiver.requests() == 2);
        WebhookReceiver.Received again = receiver.received().get(1);
        assertThat(again.verified()).isTrue();
        assertThat(again.id()).as("the event's id is derived from the event").isEqualTo(firstId);
        assertThat(new JsonObject(again.body()).getString("type")).isEqualTo("job.completed");
        assertThat(new JsonObject(again.body()).getJsonObject("data").getString("id")).isEqualTo(id);
        RunningService.await("recorded as succeeded", WAIT, () -> deliveries(second, id).size() == 1
            && deliveries(second, id).getJsonObject(0).getString("status").equals("succeeded"));
      }
    }
  }

  @Test
  void anEventTheStoreRefusedForAMomentIsRecordedOnceItTakesItAgain() {
    try (WebhookReceiver receiver = WebhookReceiver.start(); RunningService fetchd = replica()) {
      // the store refuses item.failed deliveries for a moment (job.completed ones still go in)
      PgTestDatabase.sql(admin, SCHEMA, "ALTER TABLE fetchd_webhook_deliveries ADD CONSTRAINT refuse_for_a_moment"
          + " CHECK (event <> 'item.failed') NOT VALID");
      String id;
      try {
        JsonObject body = new JsonObject().put("type", "download")
            .put("urls", new JsonArray(List.of(target.url("/status/404"))))
            .put("limits", new JsonObject().put("retries", 0))
            .put("webhook", new JsonObject().put("url", receiver.url("/refused"))
                .put("events", new JsonArray(List.of("job.completed", "item.failed"))));
        id = submit(fetchd, body, receiver).getString("id");
        // job.completed is recorded after the job's end is saved, long after item.failed was refused
        RunningService.await("job.completed delivered", WAIT, () -> receiver.requests() == 1);
        assertThat(receiver.received().get(0).type()).isEqualTo("job.completed");
      } finally {
        PgTestDatabase.sql(admin, SCHEMA, "ALTER TABLE fetchd_webhook_deliveries DROP CONSTRAINT refuse_for_a_moment");
      }
      RunningService.await("item.failed recorded again and delivered", WAIT, () -> receiver.requests() == 2);
      WebhookReceiver.Received late = receiver.received().get(1);
      assertThat(late.type()).isEqualTo("item.failed");
      assertThat(late.verified()).isTrue();
      assertThat(new JsonObject(late.body()).getJsonObject("data").getString("jobId")).isEqualTo(id);
    }
  }

  /**
   * A job that ends {@code failed} (its outcomes cannot be saved: the database refuses its item's row) sends
   * {@code job.failed}, signed, once, to a webhook subscribed to it; a webhook subscribed to every other event
   * gets nothing for a job that failed the same way.
   */
  @Test
  void aJobThatCannotSaveItsOutcomesSendsJobFailedOnceAndNothingToAWebhookNotSubscribedToIt() {
    // a lease longer than the saves' retries (about 3 s): an ending job's lease is not renewed, and with 2 s it
    // could run out while the outcomes are retried, putting the job back in the queue for another attempt
    try (WebhookReceiver receiver = WebhookReceiver.start(); RunningService fetchd = replica(30_000)) {
      // a real refusal by the database, of these jobs' items only: their outcomes are never saved
      PgTestDatabase.sql(admin, SCHEMA, "CREATE FUNCTION refuse_hook_poison() RETURNS trigger AS $$ BEGIN"
          + " IF NEW.url LIKE '%hook-poison%' AND NEW.state <> 'queued' THEN RAISE EXCEPTION 'poisoned write'; END IF;"
          + " RETURN NEW; END $$ LANGUAGE plpgsql");
      PgTestDatabase.sql(admin, SCHEMA, "CREATE TRIGGER refuse_hook_poison BEFORE UPDATE ON fetchd_items FOR EACH ROW"
          + " EXECUTE FUNCTION refuse_hook_poison()");
      try {
        String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString("f".repeat(32).getBytes());
        receiver.secret(secret);
        // first, and to its end, the job whose webhook wants everything but job.failed: had its end been recorded,
        // it would be delivered long before the second job (whose save is retried for seconds) has ended
        String notSubscribed = submitFailing(fetchd, "/bytes/hook-poison-b?size=10", new JsonObject()
            .put("url", receiver.url("/not-subscribed")).put("secret", secret)
            .put("events", new JsonArray(List.of("job.completed", "job.cancelled", "job.timed_out", "item.failed"))));
        String subscribed = submitFailing(fetchd, "/bytes/hook-poison-a?size=10", new JsonObject()
            .put("url", receiver.url("/failed")).put("secret", secret)
            .put("events", new JsonArray(List.of("job.failed"))));

        RunningService.await("job.failed delivered and recorded as succeeded", WAIT,
            () -> deliveries(fetchd, subscribed).size() == 1
                && deliveries(fetchd, subscribed).getJsonObject(0).getString("status").equals("succeeded"),
            () -> deliveries(fetchd, subscribed).encode());
        List<WebhookReceiver.Received> got = receiver.received();
        assertThat(got).as("requests received").hasSize(1);
        WebhookReceiver.Received r = got.get(0);
        assertThat(r.path()).isEqualTo("/failed");
        assertThat(r.verified()).as("signature " + r.signature()).isTrue();
        JsonObject event = r.json();
        assertThat(event.getString("type")).isEqualTo("job.failed");
        JsonObject data = event.getJsonObject("data");
        assertThat(data.getString("id")).isEqualTo(subscribed);
        assertThat(data.getString("state")).isEqualTo("failed");
        assertThat(data.getJsonObject("error").getString("code")).isEqualTo("store_write_failed");
        JsonObject d = deliveries(fetchd, subscribed).getJsonObject(0);
        assertThat(d.getString("id")).isEqualTo(r.id());
        assertThat(d.getString("event")).isEqualTo("job.failed");
        assertThat(d.getInteger("attempts")).isEqualTo(1);
        assertThat(d.getInteger("lastStatus")).isEqualTo(200);

        assertThat(deliveries(fetchd, notSubscribed)).as("deliveries of the job not subscribed").isEmpty();
        assertThat(PgTestDatabase.number(admin, SCHEMA, "SELECT count(*) FROM fetchd_webhook_deliveries"
            + " WHERE job_id IN ('" + subscribed + "', '" + notSubscribed + "')")).isEqualTo(1);
      } finally {
        PgTestDatabase.sql(admin, SCHEMA, "DROP TRIGGER refuse_hook_poison ON fetchd_items");
        PgTestDatabase.sql(admin, SCHEMA, "DROP FUNCTION refuse_hook_poison()");
      }
    }
  }

  /** Submits a download of one target URL with this webhook and waits for it to end failed (store_write_failed). */
  private static String submitFailing(RunningService fetchd, String path, JsonObject webhook) {
    JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray(List.of(target.url(path))))
        .put("limits", new JsonObject().put("retries", 0)).put("webhook", webhook);
    String id = submit(fetchd, body, null).getString("id");
    JsonObject done = fetchd.awaitTerminal(id, WAIT);
    assertThat(done.getString("state")).as(done.encode()).isEqualTo("failed");
    assertThat(done.getJsonObject("error").getString("code")).isEqualTo("store_write_failed");
    return id;
  }

  /**
   * The request's secret values (an Authorization header, a header named secret, a cookie) are in neither the
   * bodies the receiver gets nor the deliveries' rows, read while they still hold their bodies (pending, after a
   * first attempt answered 500) and after.
   */
  @Test
  void theJobsRequestSecretsReachNeitherTheReceiverNorTheDeliveriesRows() {
    target.route("/api/export.csv", RequestOptionsTest::bearerOnly);
    String cookie = "c00kie-pg-5e1b";
    try (WebhookReceiver receiver = WebhookReceiver.start(); RunningService fetchd = replica()) {
      String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString("s".repeat(32).getBytes());
      receiver.secret(secret);
      receiver.answerAlways(() -> 500); // the rows keep their bodies while pending
      JsonObject body = new JsonObject().put("type", "download")
          .put("urls", new JsonArray(List.of(target.url("/api/export.csv"), target.url("/status/404"))))
          .put("limits", new JsonObject().put("retries", 0))
          .put("webhook", new JsonObject().put("url", receiver.url("/secrets")).put("secret", secret)
              .put("events", new JsonArray(List.of("item.failed", "job.completed"))))
          .put("request", new JsonObject()
              .put("headers", new JsonObject().put("Authorization", "Bearer " + RequestOptionsTest.TOKEN)
                  .put("X-Api-Key", RequestOptionsTest.API_KEY))
              .put("secretHeaders", new JsonArray().add("X-Api-Key"))
              .put("cookies", new JsonArray().add(new JsonObject().put("name", "sid").put("value", cookie))));
      String id = submit(fetchd, body, null).getString("id");
      JsonObject done = fetchd.awaitTerminal(id, WAIT);
      assertThat(done.getJsonObject("progress").getInteger("succeeded")).as(done.encode()).isEqualTo(1);
      assertThat(target.requestHeaders("/api/export.csv")).last()
          .satisfies(h -> assertThat(h).containsEntry("Cookie", "sid=" + cookie));

      RunningService.await("both first attempts answered 500", WAIT, () -> {
        JsonArray all = deliveries(fetchd, id);
        return all.size() == 2 && all.stream().map(o -> (JsonObject) o)
            .allMatch(d -> d.getInteger("attempts") == 1 && Integer.valueOf(500).equals(d.getInteger("lastStatus")));
      }, () -> deliveries(fetchd, id).encode());
      io.vertx.sqlclient.Row pending = PgTestDatabase.sql(admin, SCHEMA, "SELECT string_agg(row_to_json(d)::text, ',')"
          + " AS t, count(*) FILTER (WHERE status = 'pending' AND body LIKE '{%') AS with_body"
          + " FROM fetchd_webhook_deliveries d WHERE job_id = '" + id + "'").iterator().next();
      receiver.answerAlways(() -> 200);
      String pendingRows = pending.getString("t");
      assertThat(pending.getLong("with_body")).as(pendingRows).isEqualTo(2);
      assertThat(pendingRows).doesNotContain(RequestOptionsTest.TOKEN).doesNotContain(RequestOptionsTest.API_KEY)
          .doesNotContain(cookie);
      assertThat(pendingRows).contains("\"event\":\"job.completed\"").contains("\"event\":\"item.failed\"")
          .contains("\\\"status\\\":404").contains("\\\"Authorization\\\":\\\"***\\\"");

      RunningService.await("both delivered on their retry", WAIT, () -> deliveries(fetchd, id).stream()
          .allMatch(d -> ((JsonObject) d).getString("status").equals("succeeded")), () -> deliveries(fetchd, id).encode());
      List<WebhookReceiver.Received> got = receiver.received();
      assertThat(got).hasSize(4).allSatisfy(g -> assertThat(g.verified()).isTrue());
      JsonObject completed = receiver.received("job.completed").get(0).json();
      JsonObject shown = completed.getJsonObject("data").getJsonObject("spec").getJsonObject("request");
      assertThat(shown.getJsonObject("headers").getMap()).containsEntry("Authorization", "***")
          .containsEntry("X-Api-Key", "***");
      assertThat(shown.getJsonArray("cookies").getJsonObject(0).getString("value")).isEqualTo("***");
      assertThat(receiver.received("item.failed").get(0).body()).contains("\"status\":404");
      String doneRows = PgTestDatabase.sql(admin, SCHEMA, "SELECT string_agg(row_to_json(d)::text, ',') AS t"
          + " FROM fetchd_webhook_deliveries d WHERE job_id = '" + id + "'").iterator().next().getString("t");

      List<String> outs = new java.util.ArrayList<>(got.stream().map(WebhookReceiver.Received::body).toList());
      outs.add(doneRows);
      for (String out : outs) {
        assertThat(out).doesNotContain(RequestOptionsTest.TOKEN).doesNotContain(RequestOptionsTest.API_KEY)
            .doesNotContain(cookie);
      }
    }
  }

  /**
   * A job whose secret request values a replica cannot open (its secrets.key is not the one they were sealed
   * with) ends failed, secrets_unavailable. That replica cannot open the webhook's secret either, so it cannot
   * sign job.failed: it sends nothing and says why in the delivery, which a replica with the right key then
   * delivers, signed with the webhook's secret.
   */
  @Test
  void jobFailedForSecretsAReplicaCannotOpenIsNotSentUnsignedAndIsDeliveredByAReplicaWithTheKey() {
    String otherKey = java.util.Base64.getEncoder().encodeToString("o".repeat(32).getBytes());
    target.route("/api/export.csv", RequestOptionsTest::bearerOnly);
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      String id;
      try (RunningService keyed = replica()) {
        JsonObject body = new JsonObject().put("type", "download")
            .put("urls", new JsonArray(List.of(target.url("/api/export.csv"))))
            .put("request", new JsonObject().put("headers", new JsonObject()
                .put("Authorization", "Bearer " + RequestOptionsTest.TOKEN)))
            .put("webhook", new JsonObject().put("url", receiver.url("/mis-keyed"))
                .put("events", new JsonArray(List.of("job.failed"))));
        id = submit(keyed, body, receiver).getString("id");
        assertThat(keyed.awaitTerminal(id, WAIT).getString("state")).isEqualTo("completed");
      }
      // the same row run again by a replica with another key (as SecretsAtRestTest does)
      PgTestDatabase.sql(admin, SCHEMA, "UPDATE fetchd_jobs SET state = 'queued', started_at = NULL, finished_at = NULL,"
          + " claimed_by = NULL, deadline_at = NULL WHERE id = '" + id + "'");
      PgTestDatabase.sql(admin, SCHEMA, "UPDATE fetchd_items SET state = 'queued' WHERE job_id = '" + id + "'");
      int fetched = target.requestHeaders("/api/export.csv").size();
      try (RunningService misKeyed = replica(2000, otherKey, 200)) {
        JsonObject job = misKeyed.awaitTerminal(id, WAIT);
        assertThat(job.getString("state")).isEqualTo("failed");
        assertThat(job.getJsonObject("error").getString("code")).isEqualTo("secrets_unavailable");
        RunningService.await("an attempt recorded, and why it sent nothing", WAIT, () -> {
          JsonArray all = deliveries(misKeyed, id);
          return all.size() == 1 && all.getJsonObject(0).getInteger("attempts") >= 1
              && all.getJsonObject(0).getString("lastError") != null;
        }, () -> deliveries(misKeyed, id).encode());
        JsonObject d = deliveries(misKeyed, id).getJsonObject(0);
        assertThat(d.getString("event")).isEqualTo("job.failed");
        assertThat(d.getString("status")).as(d.encode()).isEqualTo("pending");
        assertThat(d.getString("lastError")).contains("secrets.key");
        assertThat(d.getInteger("lastStatus")).isNull();
      }
      assertThat(receiver.requests()).as("requests signed with a key the receiver does not know").isZero();
      assertThat(target.requestHeaders("/api/export.csv")).hasSize(fetched);

      try (RunningService keyed = replica()) {
        RunningService.await("job.failed delivered by the replica with the key", WAIT,
            () -> deliveries(keyed, id).getJsonObject(0).getString("status").equals("succeeded"),
            () -> deliveries(keyed, id).encode());
        List<WebhookReceiver.Received> got = receiver.received();
        assertThat(got).hasSize(1);
        assertThat(got.get(0).verified()).as("signature " + got.get(0).signature()).isTrue();
        JsonObject data = got.get(0).json().getJsonObject("data");
        assertThat(got.get(0).type()).isEqualTo("job.failed");
        assertThat(data.getString("id")).isEqualTo(id);
        assertThat(data.getString("state")).isEqualTo("failed");
        assertThat(data.getJsonObject("error").getString("code")).isEqualTo("secrets_unavailable");
        assertThat(got.get(0).body()).doesNotContain(RequestOptionsTest.TOKEN);
        assertThat(deliveries(keyed, id).getJsonObject(0).getInteger("lastStatus")).isEqualTo(200);
      }
    }
  }
}
