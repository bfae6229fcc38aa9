package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import dev.fetchd.testkit.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole retry schedule end to end, against a receiver that always answers 500: with a base of 1 ms the
 * "about a day" of waits (1, 60, 360, 1440, 3600, 7200 and 7200 times the base) lasts about 20 s. Eight
 * attempts with the same id, spaced as the schedule says, then the delivery has failed for good.
 */
class WebhookGiveUpTest {

  @Test
  void aReceiverThatAlwaysFailsGetsEightAttemptsOnTheScheduleThenTheDeliveryFails() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("webhooks.retryBaseMs", 1, "webhooks.timeoutMs", 1000));
         WebhookReceiver receiver = WebhookReceiver.start()) {
      receiver.answerAlways(() -> 500);
      String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
      receiver.secret(secret);
      RunningService.Response r = fetchd.post("/jobs", new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/once?size=10")))
          .put("webhook", new JsonObject().put("url", receiver.url("/hook")).put("secret", secret)).encode());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      String id = r.json().getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(20));

      RunningService.await("the delivery given up", Duration.ofSeconds(60), () -> "failed".equals(delivery(fetchd, id).getString("status")));
      JsonObject d = delivery(fetchd, id);
      assertThat(d.getInteger("attempts")).isEqualTo(8);
      assertThat(d.getInteger("lastStatus")).isEqualTo(500);
      assertThat(d.getString("nextAttemptAt")).isNull();

      List<WebhookReceiver.Received> got = receiver.received();
      assertThat(got).hasSize(8);
      assertThat(got).allSatisfy(g -> {
        assertThat(g.id()).isEqualTo(d.getString("id"));
        assertThat(g.verified()).isTrue();
      });
      // the waits grow as the schedule says: the last gap (7200 ms less a fifth at most) is far above the first
      long firstGap = got.get(1).receivedAtMs() - got.get(0).receivedAtMs();
      long lastGap = got.get(7).receivedAtMs() - got.get(6).receivedAtMs();
      assertThat(lastGap).isGreaterThanOrEqualTo(5_760);
      assertThat(lastGap).isGreaterThan(firstGap);
      long span = got.get(7).receivedAtMs() - got.get(0).receivedAtMs();
      assertThat(span).as("the sum of the waits, each within a fifth").isGreaterThanOrEqualTo(15_888);
      assertThat(fetchd.metric("fetchd_webhook_deliveries_total", "outcome", "failed")).isEqualTo(1);
      assertThat(fetchd.metric("fetchd_webhook_deliveries_total", "outcome", "retried")).isEqualTo(7);
      assertThat(receiver.requests()).isEqualTo(8);
    }
  }

  private static JsonObject delivery(RunningService fetchd, String jobId) {
    JsonArray all = fetchd.get("/jobs/" + jobId + "/deliveries").json().getJsonArray("deliveries");
    assertThat(all).hasSize(1);
    return all.getJsonObject(0);
  }
}
