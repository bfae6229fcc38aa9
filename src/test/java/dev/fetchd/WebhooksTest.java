package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.fetch.Resolver;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import dev.fetchd.testkit.WebhookReceiver;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Webhooks end to end, with the in-memory store: fetchd posts to a real receiver that checks every signature
 * itself, per the Standard Webhooks specification. Retries are fast here ({@code webhooks.retryBaseMs} 20: the
 * second retry comes about 1.2 s after the first).
 */
class WebhooksTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static TargetServer target;
  private static RunningService fetchd;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    fetchd = RunningService.start(Map.of("webhooks.retryBaseMs", 20, "webhooks.timeoutMs", 500,
        "maxRunningJobs", 1));
  }

  @AfterAll
  static void stop() {
    fetchd.close();
    target.close();
  }

  private static JsonObject submit(JsonObject body, String... headers) {
    RunningService.Response r = fetchd.post("/jobs", body.encode(), headers);
    assertThat(r.status()).as(r.body()).isIn(200, 202);
    return r.json();
  }

  private static JsonObject download(List<String> urls, JsonObject webhook) {
    JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray(urls));
    return webhook == null ? body : body.put("webhook", webhook);
  }

  private static JsonArray deliveries(String jobId) {
    RunningService.Response r = fetchd.get("/jobs/" + jobId + "/deliveries");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().getJsonArray("deliveries");
  }

  private static JsonObject onlyDelivery(String jobId) {
    JsonArray all = deliveries(jobId);
    assertThat(all).as(all.encode()).hasSize(1);
    return all.getJsonObject(0);
  }

  @Test
  void aCompletedJobSendsJobCompletedOnceSignedWithTheSecretGeneratedAndShownOnlyAtSubmission() {
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      JsonObject job = submit(download(List.of(target.url("/bytes/a?size=100")),
          new JsonObject().put("url", receiver.url("/hook"))), "Idempotency-Key", "hooks-once");
      String id = job.getString("id");
      String secret = job.getJsonObject("spec").getJsonObject("webhook").getString("secret");
      assertThat(secret).startsWith("whsec_");
      receiver.secret(secret);
      assertThat(job.getJsonObject("spec").getJsonObject("webhook").getJsonArray("events"))
          .containsExactly("job.completed", "job.failed", "job.cancelled", "job.timed_out");

      JsonObject done = fetchd.awaitTerminal(id, WAIT);
      assertThat(done.getString("state")).isEqualTo("completed");
      RunningService.await("the delivery succeeded", WAIT,
          () -> onlyDelivery(id).getString("status").equals("succeeded"));

      List<WebhookReceiver.Received> got = receiver.received();
      assertThat(got).hasSize(1);
      WebhookReceiver.Received r = got.get(0);
      assertThat(r.verified()).as("signature " + r.signature()).isTrue();
      assertThat(r.id()).startsWith("msg_");
      JsonObject body = r.json();
      assertThat(body.getString("type")).isEqualTo("job.completed");
      assertThat(java.time.Instant.parse(body.getString("timestamp"))).isNotNull();
      assertThat(body.getJsonObject("data").getString("id")).isEqualTo(id);
      assertThat(body.getJsonObject("data").getString("state")).isEqualTo("completed");
      assertThat(body.getJsonObject("data").getJsonObject("progress").getInteger("succeeded")).isEqualTo(1);
      assertThat(body.encode()).doesNotContain(secret);

      JsonObject d = onlyDelivery(id);
      assertThat(d.getString("id")).isEqualTo(r.id());
      assertThat(d.getString("event")).isEqualTo("job.completed");
      assertThat(d.getInteger("attempts")).isEqualTo(1);
      assertThat(d.getInteger("lastStatus")).isEqualTo(200);
      assertThat(d.getString("lastError")).isNull();
      assertThat(d.getString("nextAttemptAt")).isNull();
      assertThat(d.encode()).doesNotContain(secret);

      // never shown again: not by GET, not in the list, not to a replay of the same submission
      assertThat(fetchd.get("/jobs/" + id).body()).doesNotContain(secret).contains(receiver.url("/hook"));
      assertThat(fetchd.get("/jobs/" + id).json().getJsonObject("spec").getJsonObject("webhook").containsKey("secret"))
          .isFalse();
      assertThat(fetchd.get("/jobs?limit=100").body()).doesNotContain(secret);
      RunningService.Response replay = fetchd.post("/jobs", download(List.of(target.url("/bytes/a?size=100")),
          new JsonObject().put("url", receiver.url("/hook"))).encode(), "Idempotency-Key", "hooks-once");
      assertThat(replay.status()).isEqualTo(200);
      assertThat(replay.json().getString("id")).isEqualTo(id);
      assertThat(replay.body()).doesNotContain("whsec_");
      assertThat(fetchd.metric("fetchd_webhook_deliveries_total", "outcome", "succeeded")).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void itemFailedIsSentForA404ItemWhenSubscribedAndNotOtherwise() {
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
      receiver.secret(secret);
      List<String> urls = List.of(target.url("/bytes/ok?size=10"), target.url("/status/404"));
      JsonObject subscribed = submit(download(urls, new JsonObject().put("url", receiver.url("/a"))
          .put("events", new JsonArray(List.of("item.failed", "job.completed"))).put("secret", secret)));
      assertThat(subscribed.getJsonObject("spec").getJsonObject("webhook").containsKey("secret"))
          .as("a secret the client gave is not echoed").isFalse();
      JsonObject not = submit(download(urls, new JsonObject().put("url", receiver.url("/b")).put("secret", secret)));
      String a = subscribed.getString("id");
      String b = not.getString("id");
      fetchd.awaitTerminal(a, WAIT);
      fetchd.awaitTerminal(b, WAIT);
      RunningService.await("both jobs' events delivered", WAIT, () -> receiver.received("job.completed").size() == 2
          && receiver.received("item.failed").size() == 1);

      WebhookReceiver.Received failed = receiver.received("item.failed").get(0);
      assertThat(failed.verified()).isTrue();
      JsonObject item = failed.json().getJsonObject("data");
      assertThat(item.getString("jobId")).isEqualTo(a);
      assertThat(item.getInteger("index")).isEqualTo(1);
      assertThat(item.getString("state")).isEqualTo("failed");
      assertThat(item.getInteger("status")).isEqualTo(404);
      assertThat(item.getJsonObject("error").getString("code")).isEqualTo("http_status");
      assertThat(receiver.received()).allSatisfy(r -> assertThat(r.verified()).isTrue());

      assertThat(deliveries(a)).extracting(o -> ((JsonObject) o).getString("event"))
          .containsExactly("item.failed", "job.completed");
      RunningService.await("b's delivery recorded as succeeded", WAIT,
          () -> onlyDelivery(b).getString("status").equals("succeeded"));
      assertThat(onlyDelivery(b).getString("event")).isEqualTo("job.completed");
    }
  }

  @Test
  void theJobsRequestSecretsNeverReachTheReceiver() {
    target.route("/api/export.csv", RequestOptionsTest::bearerOnly);
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      String secret = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
      receiver.secret(secret);
      JsonObject body = download(List.of(target.url("/api/export.csv"), target.url("/status/404")),
          new JsonObject().put("url", receiver.url("/s")).put("secret", secret)
              .put("events", new JsonArray(List.of("item.failed", "job.completed"))))
          .put("request", new JsonObject()
              .put("headers", new JsonObject().put("Authorization", "Bearer " + RequestOptionsTest.TOKEN)
                  .put("X-Api-Key", RequestOptionsTest.API_KEY))
              .put("secretHeaders", new JsonArray().add("X-Api-Key"))
              .put("cookies", new JsonArray().add(new JsonObject().put("name", "sid").put("value", "c00kie-9d2e7"))));
      String id = submit(body).getString("id");
      assertThat(fetchd.awaitTerminal(id, WAIT).getJsonObject("progress").getInteger("succeeded")).isEqualTo(1);
      RunningService.await("both events delivered", WAIT, () -> receiver.received("job.completed").size() == 1
          && receiver.received("item.failed").size() == 1);

      String failed = receiver.received("item.failed").get(0).body();
      assertThat(failed).contains("\"status\":404");
      JsonObject completed = receiver.received("job.completed").get(0).json();
      JsonObject shown = completed.getJsonObject("data").getJsonObject("spec").getJsonObject("request");
      assertThat(shown.getJsonObject("headers").getMap()).containsEntry("Authorization", "***")
          .containsEntry("X-Api-Key", "***");
      assertThat(shown.getJsonArray("cookies").getJsonObject(0).getString("value")).isEqualTo("***");
      for (String out : List.of(failed, completed.encode())) {
        assertThat(out).doesNotContain(RequestOptionsTest.TOKEN).doesNotContain(RequestOptionsTest.API_KEY)
            .doesNotContain("c00kie-9d2e7");
      }
    }
  }

  @Test
  void aReceiverAnswering500TwiceThen200GetsRetriesWithTheSameId() {
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      receiver.answerNext(500, 500);
      JsonObject job = submit(download(List.of(target.url("/bytes/r?size=10")),
          new JsonObject().put("url", receiver.url("/retry"))));
      receiver.secret(job.getJsonObject("spec").getJsonObject("webhook").getString("secret"));
      String id = job.getString("id");
      fetchd.awaitTerminal(id, WAIT);

      // between the second and third attempts (about 1.2 s): pending, with what the last one got
      RunningService.await("two failed attempts recorded", WAIT, () -> onlyDelivery(id).getInteger("attempts") == 2
          && onlyDelivery(id).getString("status").equals("pending") && onlyDelivery(id).getString("nextAttemptAt") != null
          || onlyDelivery(id).getString("status").equals("succeeded"));
      RunningService.await("the delivery succeeded", WAIT,
          () -> onlyDelivery(id).getString("status").equals("succeeded"));

      List<WebhookReceiver.Received> got = receiver.received();
      assertThat(got).hasSize(3);
      assertThat(got).extracting(WebhookReceiver.Received::id).containsOnly(got.get(0).id());
      assertThat(got).allSatisfy(r -> assertThat(r.verified()).isTrue());
      assertThat(got).extracting(WebhookReceiver.Received::body).containsOnly(got.get(0).body());
      JsonObject d = onlyDelivery(id);
      assertThat(d.getInteger("attempts")).isEqualTo(3);
      assertThat(d.getInteger("lastStatus")).isEqualTo(200);
      assertThat(d.getString("lastError")).isNull();
      assertThat(fetchd.metric("fetchd_webhook_deliveries_total", "outcome", "retried")).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void anAttemptWithoutAnAnswerTimesOutAndARedirectIsNotFollowed() {
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      receiver.answerNext(307, WebhookReceiver.STALL);
      JsonObject job = submit(download(List.of(target.url("/bytes/t?size=10")),
          new JsonObject().put("url", receiver.url("/slow"))));
      receiver.secret(job.getJsonObject("spec").getJsonObject("webhook").getString("secret"));
      String id = job.getString("id");
      fetchd.awaitTerminal(id, WAIT);
      // the second attempt gets no answer (the receiver stalls it): only its timeout can end it, so a third
      // attempt, about 1.2 s later, is the proof (its lastError, between the two, is too short-lived to poll)
      RunningService.await("the delivery succeeded", WAIT,
          () -> onlyDelivery(id).getString("status").equals("succeeded"));
      List<WebhookReceiver.Received> got = receiver.received();
      assertThat(got).extracting(WebhookReceiver.Received::path).containsExactly("/slow", "/slow", "/slow");
      assertThat(got).extracting(WebhookReceiver.Received::id).containsOnly(got.get(0).id());
      assertThat(onlyDelivery(id).getInteger("attempts")).isEqualTo(3);
    }
  }

  @Test
  void aQueuedJobCancelledAndARunningJobTimedOutSendTheirEvents() {
    try (WebhookReceiver receiver = WebhookReceiver.start()) {
      // one job runs at a time: the stalled one runs into its deadline, the second waits and is cancelled
      JsonObject hook = new JsonObject().put("url", receiver.url("/ends"));
      JsonObject stalled = submit(download(List.of(target.url("/stall")), hook.copy())
          .put("limits", new JsonObject().put("timeoutMs", 1000)));
      receiver.secret(stalled.getJsonObject("spec").getJsonObject("webhook").getString("secret"));
      String secretOfQueued = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[24]);
      JsonObject queued = submit(download(List.of(target.url("/bytes/q")), hook.copy().put("secret", secretOfQueued)));
      assertThat(fetchd.delete("/jobs/" + queued.getString("id")).json().getString("state")).isEqualTo("cancelled");
      assertThat(fetchd.awaitTerminal(stalled.getString("id"), WAIT).getString("state")).isEqualTo("timed_out");

      RunningService.await("both ends delivered", WAIT, () -> receiver.received().size() == 2);
      WebhookReceiver.Received cancelled = receiver.received("job.cancelled").get(0);
      assertThat(cancelled.json().getJsonObject("data").getString("id")).isEqualTo(queued.getString("id"));
      WebhookReceiver.Received timedOut = receiver.received("job.timed_out").get(0);
      assertThat(timedOut.verified()).isTrue();
      assertThat(timedOut.json().getJsonObject("data").getJsonObject("error").getString("code")).isEqualTo("timed_out");
    }
  }

  @Test
  void deliveriesOfAnUnknownJobAre404AndABadCursorIs400() {
    assertThat(fetchd.get("/jobs/nope/deliveries").status()).isEqualTo(404);
    JsonObject job = submit(download(List.of(target.url("/bytes/c?size=1")), null));
    assertThat(deliveries(job.getString("id"))).isEmpty();
    RunningService.Response bad = fetchd.get("/jobs/" + job.getString("id") + "/deliveries?cursor=zzz");
    assertThat(bad.status()).isEqualTo(400);
  }

  @Test
  void badWebhooksAreRefusedNamingTheField() {
    String[][] cases = {
        {"{\"url\":\"ftp://example.com/hook\"}", "/webhook/url"},
        {"{\"url\":\"not a url\"}", "/webhook/url"},
        {"{\"events\":[\"job.completed\"]}", "/webhook/url"},
        {"{\"url\":\"https://example.com/h\",\"events\":[\"job.exploded\"]}", "/webhook/events/0"},
        {"{\"url\":\"https://example.com/h\",\"events\":[]}", "/webhook/events"},
        {"{\"url\":\"https://example.com/h\",\"secret\":\"hunter2\"}", "/webhook/secret"},
        {"{\"url\":\"https://example.com/h\",\"secret\":\"whsec_c2hvcnQ=\"}", "/webhook/secret"},
        {"{\"url\":\"https://example.com/h\",\"retries\":3}", "/webhook"},
    };
    for (String[] c : cases) {
      String body = "{\"type\":\"download\",\"urls\":[\"https://example.com/x\"],\"webhook\":" + c[0] + "}";
      RunningService.Response r = fetchd.post("/jobs", body);
      assertThat(r.status()).as(c[0] + ": " + r.body()).isEqualTo(400);
      assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
      assertThat(r.body()).as(c[0]).contains(c[1]);
    }
  }

  /**
   * With private networks refused: a webhook to a private address is refused at submission, and one whose name
   * resolves to a public address then but to loopback at delivery time (DNS rebinding) is never posted there.
   */
  @Test
  void aWebhookToAPrivateAddressIsRefusedAtSubmissionAndAtDelivery() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    Resolver rebinding = host -> {
      try {
        return Future.succeededFuture(List.of(InetAddress.getByName(
            host.equals("hooks.example") && lookups.incrementAndGet() == 1 ? "93.184.216.34" : "127.0.0.1")));
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    };
    try (WebhookReceiver receiver = WebhookReceiver.start();
         RunningService strict = RunningService.start(Map.of("allowPrivateNetworks", false,
             "webhooks.retryBaseMs", 20), rebinding)) {
      for (String url : List.of(receiver.url("/h"), "http://10.1.2.3/h", "http://[::1]:8080/h", "http://169.254.169.254/")) {
        RunningService.Response r = strict.post("/jobs", download(List.of("https://example.com/x"),
            new JsonObject().put("url", url)).encode());
        assertThat(r.status()).as(url + ": " + r.body()).isEqualTo(400);
        assertThat(r.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("/webhook/url");
      }
      assertThat(lookups.get()).isZero();

      int port = Integer.parseInt(receiver.url("").replaceAll(".*:", ""));
      RunningService.Response ok = strict.post("/jobs", download(List.of("http://10.9.9.9/x"),
          new JsonObject().put("url", "http://hooks.example:" + port + "/h")).encode());
      assertThat(ok.status()).as(ok.body()).isEqualTo(202);
      String id = ok.json().getString("id");
      strict.awaitTerminal(id, WAIT);
      RunningService.await("the delivery failed", WAIT, () -> {
        JsonArray all = strict.get("/jobs/" + id + "/deliveries").json().getJsonArray("deliveries");
        return all.size() == 1 && all.getJsonObject(0).getString("status").equals("failed");
      });
      JsonObject d = strict.get("/jobs/" + id + "/deliveries").json().getJsonArray("deliveries").getJsonObject(0);
      assertThat(d.getString("lastError")).startsWith("blocked_address");
      assertThat(d.getInteger("attempts")).isEqualTo(1);
      assertThat(lookups.get()).isGreaterThanOrEqualTo(2);
      assertThat(receiver.requests()).isZero();
      assertThat(strict.metric("fetchd_webhook_deliveries_total", "outcome", "failed")).isEqualTo(1);
    }
  }
}
