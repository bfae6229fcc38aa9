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
  /** How far back each round looks before the previous round's cutoff. */
  private static final long OVERLAP_MS = 60_000;

  private final Vertx vertx;
  private final JobStore store;
  private final WebhookDispatcher webhooks;
  private long timer = -1;
  private boolean sweeping;
  /**
   * Ends before this were all looked at (null: none yet). The first round after start looks at every finished
   * job still kept: the replica that missed an event may have been the only one, and down for hours.
   */
  private Instant after;

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
    Instant cutoff = Instant.now().minusMillis(GRACE_MS);
    store.endedWithoutEndEvent(after, cutoff, BATCH).compose(ids -> {
      Future<Void> chain = Future.succeededFuture();
      for (String id : ids) {
        // one job that cannot be read (or recorded) does not hold back the others: it is looked at again at start
        chain = chain.compose(v -> store.get(id).<Void>map(job -> {
          if (job != null && job.state().isTerminal()) {
            log.atInfo().addKeyValue("jobId", id).log("job {}: its webhook end event was not recorded; recording it now",
                id);
            webhooks.jobEnded(job);
          }
          return null;
        }).recover(err -> {
          log.atWarn().addKeyValue("jobId", id).log("job {}: its missed webhook end event could not be recorded: {}",
              id, err.toString());
          return Future.succeededFuture();
        }));
      }
      return chain.map(v -> ids.size());
    }).onComplete(ar -> {
      sweeping = false;
      if (ar.failed()) {
        log.warn("looking for missed webhook end events failed: {}", ar.cause().toString());
      } else if (ar.result() < BATCH) {
        // every job that ended before the cutoff was looked at: later rounds look at later ends only, with a
        // margin for replicas' clocks (the end times are theirs) and for saves still on their way
        after = cutoff.minusMillis(OVERLAP_MS);
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
