package dev.fetchd.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A real webhook receiver on loopback, as a user would write one from the Standard Webhooks specification:
 * it verifies each request's signature itself (HMAC-SHA256 over {@code id.timestamp.body}, keyed with the
 * base64-decoded secret after {@code whsec_}, compared in constant time; timestamp within five minutes) and
 * records every request. It answers the statuses it is told, in turn (then 200); a 3xx points to
 * {@code /redirected}, and {@link #STALL} never answers.
 */
public final class WebhookReceiver implements AutoCloseable {
  /**
   * One request as received, and whether its signature verified against the secret of its job. The check is made
   * when the request is read back, not when it arrives: a generated secret is known to the test only once the
   * submission answers, and a fast job's delivery may come before the test has handed it over.
   */
  public record Received(String path, String id, String timestamp, String signature, String body, boolean verified,
                         long receivedAtMs) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String type() {
      return json().getString("type");
    }
  }

  /** An "answer" that is none: the request is left hanging. */
  public static final int STALL = 0;
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile String secret;
  private volatile IntSupplier answer = () -> 200;

  private WebhookReceiver() {
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(buf -> {
      String id = req.getHeader("webhook-id");
      String ts = req.getHeader("webhook-timestamp");
      String sig = req.getHeader("webhook-signature");
      String body = buf.toString(StandardCharsets.UTF_8);
      received.add(new Received(req.path(), id, ts, sig, body, false, System.currentTimeMillis()));
      requests.incrementAndGet(); // after the record: a count of n means n can be read
      Integer next = answers.poll();
      int status = next != null ? next : answer.getAsInt();
      if (status == STALL) {
        return; // never answers: the sender's timeout must end the attempt
      }
      if (status >= 300 && status < 400) {
        req.response().putHeader("Location", url("/redirected"));
      }
      req.response().setStatusCode(status).end("ok");
    })).listen(0, "127.0.0.1").await();
  }

  public static WebhookReceiver start() {
    return new WebhookReceiver();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  /** The secret signatures are checked against (what the submission got or gave). */
  public void secret(String secret) {
    this.secret = secret;
  }

  /** The next requests get these statuses, in turn; then {@link #answerAlways}'s (200 by default). */
  public void answerNext(Integer... statuses) {
    answers.addAll(List.of(statuses));
  }

  public void answerAlways(IntSupplier status) {
    this.answer = status;
  }

  public List<Received> received() {
    List<Received> all = new ArrayList<>();
    String key = secret;
    for (Received r : received) {
      all.add(new Received(r.path(), r.id(), r.timestamp(), r.signature(), r.body(),
          verifies(key, r.id(), r.timestamp(), r.signature(), r.body(), r.receivedAtMs()), r.receivedAtMs()));
    }
    return all;
  }

  public List<Received> received(String type) {
    return received().stream().filter(r -> r.type().equals(type)).toList();
  }

  public int requests() {
    return requests.get();
  }

  /** The Standard Webhooks check, written from the specification (not with fetchd's code). */
  static boolean verifies(String secret, String id, String ts, String signatureHeader, String body, long atMs) {
    if (secret == null || id == null || ts == null || signatureHeader == null || !secret.startsWith("whsec_")) {
      return false;
    }
    try {
      long sent = Long.parseLong(ts);
      if (Math.abs(atMs / 1000 - sent) > 300) { // judged at receipt, as a receiver would
        return false;
      }
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
      byte[] expected = mac.doFinal((id + "." + ts + "." + body).getBytes(StandardCharsets.UTF_8));
      // the header may carry several space-separated signatures; one matching is enough
      for (String part : signatureHeader.split(" ")) {
        if (part.startsWith("v1,") && MessageDigest.isEqual(expected, Base64.getDecoder().decode(part.substring(3)))) {
          return true;
        }
      }
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
