package dev.fetchd.engine;

import dev.fetchd.store.JobStore;
import dev.fetchd.webhook.WebhookDispatcher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the webhook end events that were left out. A job's end is saved first and its delivery recorded
 * after (the delivery's body is the saved job's view): a replica that dies between the two, or a store write
 * that fails, leaves a finished job without its event. Every replica looks for such jobs now and then; an
 * event's id is derived from the job, so two replicas recording the same one make one delivery.
 */
final class MissedEndEvents {
  private static final Logger log = LoggerFactory.getLogger(MissedEndEvents.class);
  private static final long EVERY_MS = 10_000;
  /** A job that ended this recently is still being recorded by the replica that ran it. */
  private static final long GRACE_MS = 2_000;
  private static final int BATCH = 100;

  private final Vertx vertx;
  private final JobStore store;
  private final WebhookDispatcher webhooks;
  private long timer = -1;
  private boolean sweeping;

  MissedEndEvents(Vertx vertx, JobStore store, WebhookDispatcher webhooks) {
    this.vertx = vertx;
    this.store = store;
    this.webhooks = webhooks;
  }

  void start() {
    timer = vertx.setPeriodic(EVERY_MS, id -> sweep());
    sweep();
  }

  void sweep() {
    if (sweeping) {
      return;
    }
    sweeping = true;
    store.endedWithoutEndEvent(Instant.now().minusMillis(GRACE_MS), BATCH).compose(ids -> {
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        chain = chain.compose(v -> store.get(id).map(job -> {
          if (job != null && job.state().isTerminal()) {
            log.atInfo().addKeyValue("jobId", id).log("job {}: its webhook end event was not recorded; recording it now",
                id);
            webhooks.jobEnded(job);
          }
          return null;
        }));
      }
      return chain;
    }).onComplete(ar -> {
      sweeping = false;
      if (ar.failed()) {
        log.warn("looking for missed webhook end events failed: {}", ar.cause().toString());
      }
    });
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
