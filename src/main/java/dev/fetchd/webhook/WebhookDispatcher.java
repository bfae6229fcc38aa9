package dev.fetchd.webhook;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.fetch.AddressGuard;
import dev.fetchd.job.Item;
import dev.fetchd.job.Job;
import dev.fetchd.job.Webhook;
import dev.fetchd.job.WebhookEvent;
import dev.fetchd.metrics.FetchdMetrics;
import dev.fetchd.store.Page;
import dev.fetchd.store.WebhookStore;
import dev.fetchd.store.WebhookStore.Attempt;
import dev.fetchd.store.WebhookStore.Delivery;
import dev.fetchd.store.WebhookStore.Status;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhook deliveries, at least once. The engine tells it of events as they happen ({@link #jobEnded},
 * {@link #itemFailed}); each event a job's webhook subscribes to is recorded in the {@link WebhookStore} with
 * its body, then sent. Sending claims due deliveries from the store (any replica's: one that died leaves its
 * deliveries there, due again once their lease runs out), posts each under the Standard Webhooks headers with
 * a timeout and no redirects, to an address the {@link AddressGuard} allowed, and records the attempt: done on a
 * 2xx, else tried again on the {@link RetrySchedule} until it runs out.
 *
 * <p>The event bodies hold the job's or item's API view; the views are the API's business, so they are passed
 * in as functions (this package does not depend on the API). Confined to the engine's event loop.
 */
public final class WebhookDispatcher {
  private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
  /** Deliveries sent at once by this replica; more wait in the store. */
  private static final int MAX_IN_FLIGHT = 16;
  /** How often the store is asked for due deliveries (retries of other replicas, takeovers). */
  private static final long POLL_MS = 1_000;
  /** Room beyond the send timeout before a claimed delivery is due again for another replica. */
  private static final long LEASE_MARGIN_MS = 5_000;
  private static final int MAX_ERROR_CHARS = 500;
  /** The waits before recording an event again after failed writes: about 40 s in all. */
  private static final long[] RECORD_RETRY_MS = {1_000, 5_000, 30_000};

  private final Vertx vertx;
  private final WebhookStore store;
  private final AddressGuard guard;
  private final HttpClient client;
  private final RetrySchedule schedule;
  private final long timeoutMs;
  private final String userAgent;
  private final Function<Job, JsonObject> jobView;
  private final Function<Item, JsonObject> itemView;
  private final Map<String, Counter> outcomes;
  private int inFlight;
  private boolean claiming;
  private boolean claimAgain;
  private boolean stopped = true;
  private long poller = -1;
  private Promise<Void> drained;

  /**
   * @param jobView  the job as the API shows it: the {@code data} of job events
   * @param itemView the item as the API shows it: the {@code data} of {@code item.failed} (with its job's id)
   */
  public WebhookDispatcher(Vertx vertx, WebhookStore store, AddressGuard guard, HttpClient client,
                           FetchdMetrics metrics, long retryBaseMs, long timeoutMs, String userAgent,
                           Function<Job, JsonObject> jobView, Function<Item, JsonObject> itemView) {
    this.vertx = vertx;
    this.store = store;
    this.guard = guard;
    this.client = client;
    this.schedule = new RetrySchedule(retryBaseMs);
    this.timeoutMs = timeoutMs;
    this.userAgent = userAgent;
    this.jobView = jobView;
    this.itemView = itemView;
    this.outcomes = Map.of("succeeded", counter(metrics, "succeeded"), "retried", counter(metrics, "retried"),
        "failed", counter(metrics, "failed"));
    metrics.gauge("fetchd.webhook.deliveries.in.flight", "Webhook deliveries being sent by this replica now",
        () -> inFlight);
  }

  private static Counter counter(FetchdMetrics metrics, String outcome) {
    return Counter.builder("fetchd.webhook.deliveries")
        .description("Webhook delivery attempts, by outcome: succeeded (2xx), retried (will be tried again), failed"
            + " (given up: retries exhausted or the address refused)")
        .tag("outcome", outcome).register(metrics.registry());
  }

  /** Starts sending: what is due now, then a look at the store every second. */
  public void start() {
    // the first SecureRandom and HMAC load and seed their providers (tens of ms or more): on a worker, not in the
    // first submission or delivery on the event loop
    vertx.executeBlocking(() -> WebhookSigner.sign(WebhookSigner.generateSecret(), "msg_warm_up", 0, "{}"), false);
    stopped = false;
    poller = vertx.setPeriodic(POLL_MS, t -> pump());
    pump();
  }

  /**
   * Stops taking deliveries and gives those in flight up to {@code graceMs} to finish and be recorded. One cut
   * off is not lost: its lease runs out and it is sent again (by another replica, with PostgreSQL).
   */
  public Future<Void> stop(long graceMs) {
    stopped = true;
    if (poller >= 0) {
      vertx.cancelTimer(poller);
      poller = -1;
    }
    if (inFlight == 0) {
      return Future.succeededFuture();
    }
    drained = Promise.promise();
    long timer = vertx.setTimer(Math.max(1, graceMs), t -> drained.tryComplete());
    return drained.future().onComplete(v -> vertx.cancelTimer(timer));
  }

  // ---- events ----------------------------------------------------------------------------------------

  /** A job reached a terminal state (saved). Records the event if its webhook wants it. */
  public void jobEnded(Job job) {
    WebhookEvent event = WebhookEvent.ofJobState(job.state());
    if (event != null) {
      record(job, event, -1, jobView.apply(job));
    }
  }

  /** An item of a running job failed. Records the event if the job's webhook wants it. */
  public void itemFailed(Job job, Item item) {
    Webhook hook = job.spec().webhook();
    if (hook != null && hook.wants(WebhookEvent.ITEM_FAILED)) {
      record(job, WebhookEvent.ITEM_FAILED, item.index(), itemView.apply(item).put("jobId", job.id()));
    }
  }

  private void record(Job job, WebhookEvent event, int itemIndex, JsonObject data) {
    Webhook hook = job.spec().webhook();
    if (hook == null || !hook.wants(event)) {
      return;
    }
    String id = deliveryId(job.id(), event, itemIndex);
    String body = new JsonObject().put("type", event.wire()).put("timestamp", Instant.now().toString())
        .put("data", data).encode();
    store(Delivery.pending(id, job.id(), event.wire(), hook.url(), hook.secret(), body), 0);
  }

  /**
   * Records a delivery, again after a failed write while {@link #RECORD_RETRY_MS} lasts (a store that is down
   * for a moment, a failover): the id is the event's, so a write that did land before its answer was lost is
   * not doubled.
   */
  private void store(Delivery d, int failures) {
    store.addDelivery(d).onSuccess(v -> pump()).onFailure(err -> {
      if (failures < RECORD_RETRY_MS.length && !stopped) {
        log.atWarn().addKeyValue("jobId", d.jobId()).log("job {}: webhook {} could not be recorded, again in {} ms: {}",
            d.jobId(), d.event(), RECORD_RETRY_MS[failures], err.toString());
        vertx.setTimer(RECORD_RETRY_MS[failures], t -> store(d, failures + 1));
      } else {
        log.atError().addKeyValue("jobId", d.jobId()).log("job {}: webhook {} could not be recorded{}: {}", d.jobId(),
            d.event(), d.event().startsWith("job.") ? " (the engine's sweep for missed end events records it later)"
                : "; it is lost", err.toString());
      }
    });
  }

  /**
   * The webhook-id of an event: derived from the job, the event and the item (-1 for job events), so one event
   * recorded twice (by a replica taking a job over, or by the sweep for missed end events) is one delivery, and
   * a receiver that deduplicates by webhook-id sees it once.
   */
  static String deliveryId(String jobId, WebhookEvent event, int itemIndex) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest((jobId + "\n" + event.wire() + "\n" + itemIndex).getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "msg_" + java.util.HexFormat.of().formatHex(digest, 0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK has SHA-256
    }
  }

  /** A job's deliveries, oldest first. */
  public Future<Page<Delivery>> deliveries(String jobId, int limit, String cursor) {
    return store.deliveries(jobId, limit, cursor);
  }

  /**
   * Why a webhook URL is refused at submission, or null: the address guard's verdict on its host now (a name
   * that does not resolve yet is not refused; every delivery is checked again).
   */
  public Future<String> refusal(String url) {
    NormalizedUrl u = NormalizedUrl.parse(url);
    if (u == null) {
      return Future.succeededFuture("is not a valid URL");
    }
    return guard.check(u.host())
        .map(v -> v.allowed() ? (String) null : "is refused: " + v.refusal())
        .otherwise((String) null);
  }

  // ---- sending ---------------------------------------------------------------------------------------

  /** Claims due deliveries while there is room to send them. One claim at a time. */
  private void pump() {
    if (stopped) {
      return;
    }
    if (claiming) {
      claimAgain = true;
      return;
    }
    int room = MAX_IN_FLIGHT - inFlight;
    if (room <= 0) {
      return;
    }
    claiming = true;
    claimAgain = false;
    store.claimDue(room, timeoutMs + LEASE_MARGIN_MS).onComplete(ar -> {
      claiming = false;
      if (ar.failed()) {
        log.warn("webhook deliveries could not be claimed: {}", ar.cause().toString());
        return;
      }
      ar.result().forEach(this::send);
      if (claimAgain || ar.result().size() == room) {
        pump();
      }
    });
  }

  private void send(Delivery d) {
    inFlight++;
    NormalizedUrl u = NormalizedUrl.parse(d.url());
    if (u == null) {
      done(d, null, "the webhook URL is not valid", false);
      return;
    }
    if (d.secret() == null || WebhookSigner.secretProblem(d.secret()) != null) {
      // a secret sealed with another secrets.key than this replica's stays sealed when read: nothing to sign with,
      // and an unsigned or wrongly signed post would be refused. Tried again later: a replica with the key sends it
      done(d, null, "secret_unavailable: the webhook secret does not open with this replica's secrets.key"
          + " (FETCHD_SECRETS_KEY)", true);
      return;
    }
    guard.check(u.host()).onComplete(ar -> {
      if (ar.failed()) {
        done(d, null, "cannot resolve " + u.host() + ": " + ar.cause().getMessage(), true);
      } else if (!ar.result().allowed()) {
        // no SSRF through webhooks: refused for good, like a fetch of that address
        done(d, null, "blocked_address: " + ar.result().refusal(), false);
      } else {
        post(d, u, ar.result());
      }
    });
  }

  private void post(Delivery d, NormalizedUrl u, AddressGuard.Verdict verdict) {
    long now = System.currentTimeMillis() / 1000;
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setHost(u.bareHost())
        .setPort(u.effectivePort())
        .setSsl(u.scheme().equals("https"))
        .setURI(u.pathAndQuery())
        .setFollowRedirects(false)
        .putHeader("Host", u.hostPort())
        .putHeader("User-Agent", userAgent)
        .putHeader("Content-Type", "application/json")
        .putHeader("webhook-id", d.id())
        .putHeader("webhook-timestamp", Long.toString(now))
        .putHeader("webhook-signature", WebhookSigner.sign(d.secret(), d.id(), now, d.body()));
    if (verdict.address() != null) {
      // connect to the address that was checked, not to a second lookup of the name
      options.setServer(SocketAddress.inetSocketAddress(u.effectivePort(), verdict.address().getHostAddress()));
    }
    HttpClientRequest[] request = {null};
    client.request(options)
        .compose(req -> {
          request[0] = req;
          return req.send(Buffer.buffer(d.body()));
        })
        // the answer's body is not wanted: read to its end (and dropped) so the connection can be reused
        .compose(resp -> resp.end().map(v -> resp.statusCode()))
        // one deadline for the whole exchange (connect to the answer's last byte); the request is reset at it
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
          if (ar.succeeded()) {
            int status = ar.result();
            boolean ok = status >= 200 && status < 300;
            done(d, status, ok ? null : status >= 300 && status < 400 ? "HTTP " + status + " (redirects are not followed)"
                : "HTTP " + status, !ok);
          } else {
            if (request[0] != null) {
              request[0].reset();
            }
            Throwable err = ar.cause();
            done(d, null, err instanceof java.util.concurrent.TimeoutException
                ? "no answer within " + timeoutMs + " ms" : "no answer: " + err, true);
          }
        });
  }

  /** Records one attempt: succeeded, or tried again later while the schedule allows, or failed. */
  private void done(Delivery d, Integer httpStatus, String error, boolean retryable) {
    Status status;
    long retryIn = -1;
    if (error == null) {
      status = Status.SUCCEEDED;
    } else {
      retryIn = retryable ? schedule.delayAfter(d.attempts()) : -1;
      status = retryIn >= 0 ? Status.PENDING : Status.FAILED;
    }
    String outcome = status == Status.SUCCEEDED ? "succeeded" : status == Status.PENDING ? "retried" : "failed";
    outcomes.get(outcome).increment();
    if (status == Status.FAILED) {
      log.atWarn().addKeyValue("jobId", d.jobId()).log("job {}: webhook {} {} failed after {} attempts: {}",
          d.jobId(), d.event(), d.id(), d.attempts(), error);
    }
    String shortError = error == null || error.length() <= MAX_ERROR_CHARS ? error : error.substring(0, MAX_ERROR_CHARS);
    long wait = retryIn;
    store.attempted(new Attempt(d.id(), d.attempts(), status, httpStatus, shortError, Math.max(0, retryIn)))
        .onComplete(ar -> {
          inFlight--;
          if (inFlight == 0 && drained != null) {
            drained.tryComplete();
          }
          if (ar.failed()) {
            // the lease runs out and the delivery is due again: sent twice at worst, never lost
            log.warn("webhook {}: the attempt could not be recorded: {}", d.id(), ar.cause().toString());
          } else if (status == Status.PENDING && wait < POLL_MS) {
            vertx.setTimer(Math.max(1, wait), t -> pump());
          }
          pump();
        });
  }
}
