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
 * another replica on the same schema, with the same webhook-id and signature scheme.
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
    // the first retry comes 1.6 to 2.4 s after a failed attempt: time enough to stop the first replica before it
    // with a secrets key: webhook secrets are sealed at rest, and a replica with the same key opens them
    return RunningService.start(new HashMap<>(Map.of("store", "postgres", "pg.url", PgTestDatabase.url(),
        "pg.schema", SCHEMA, "leaseMs", 2000, "webhooks.retryBaseMs", 2000, "secrets.key", KEY)));
  }

  private static JsonArray deliveries(RunningService s, String id) {
    return s.get("/jobs/" + id + "/deliveries").json().getJsonArray("deliveries");
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
        RunningService.Response r = first.post("/jobs", body.encode());
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        id = r.json().getString("id");
        secret = r.json().getJsonObject("spec").getJsonObject("webhook").getString("secret");
        receiver.secret(secret);
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
        RunningService.Response r = first.post("/jobs", body.encode());
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        id = r.json().getString("id");
        receiver.secret(r.json().getJsonObject("spec").getJsonObject("webhook").getString("secret"));
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
        RunningService.Response r = fetchd.post("/jobs", body.encode());
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        id = r.json().getString("id");
        receiver.secret(r.json().getJsonObject("spec").getJsonObject("webhook").getString("secret"));
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
}
