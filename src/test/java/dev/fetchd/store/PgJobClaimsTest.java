package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemKind;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobState;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import dev.fetchd.store.JobClaims.CancelOutcome;
import dev.fetchd.store.JobClaims.Claimed;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Claiming, leases and fencing on PostgreSQL. Two stores with pools of their own stand for two replicas
 * on one database. Leases are short here (hundreds of ms) so that expiry happens within a test.
 */
class PgJobClaimsTest {
  static final String SCHEMA = "fetchd_test_claims";
  static final long LEASE_MS = 30_000;
  static final JobError BY_CLIENT = new JobError("cancelled", "cancelled by client");

  static Vertx vertx;
  static PgJobStore a;
  static PgJobStore b;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    a = PgTestDatabase.freshStore(vertx, SCHEMA, 4);
    b = PgJobStore.create(vertx, PgTestDatabase.url(), 4, SCHEMA);
    b.init().await();
  }

  @AfterAll
  static void stop() {
    if (a != null) {
      a.close().await();
      b.close().await();
    }
    vertx.close().await();
  }

  @BeforeEach
  void empty() {
    PgTestDatabase.sql(vertx, SCHEMA, "TRUNCATE fetchd_jobs, fetchd_items");
  }

  static Job submit(PgJobStore store, int priority, int urls) {
    return submit(store, priority, urls, 3_600_000);
  }

  static Job submit(PgJobStore store, int priority, int urls, long timeoutMs) {
    List<String> list = new ArrayList<>();
    for (int i = 0; i < urls; i++) {
      list.add("https://example.com/" + i);
    }
    JobSpec spec = new JobSpec(JobType.DOWNLOAD, list, new Limits(8, 4, 0, 30_000, timeoutMs, 1 << 20, 2), null,
        priority, Map.of());
    Job job = new Job(UUID.randomUUID().toString(), spec, Instant.now(), null, null, null);
    List<Item> items = JobStoreContractTest.itemsOf(job);
    store.insert(job, items).await();
    return job;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Row row(String jobId) {
    return PgTestDatabase.sql(vertx, SCHEMA,
        "SELECT state, claimed_by, attempt, lease_until, deadline_at FROM fetchd_jobs WHERE id = '" + jobId + "'")
        .iterator().next();
  }

  // ---- claiming --------------------------------------------------------------------------------------

  @Test
  void claimMovesAJobToRunningUnderALeaseWithADeadline() {
    Job job = submit(a, 0, 3, 120_000);
    Instant before = Instant.now();
    List<Claimed> claimed = b.claim("replica-b", 5, LEASE_MS).await();

    assertThat(claimed).hasSize(1);
    Claimed c = claimed.get(0);
    assertThat(c.lease()).isEqualTo(new Lease(job.id(), "replica-b", 1));
    assertThat(c.job().state()).isEqualTo(JobState.RUNNING);
    assertThat(c.job().startedAt()).isCloseTo(before, within(5, ChronoUnit.SECONDS));
    assertThat(c.leaseUntil()).isCloseTo(c.job().startedAt().plusMillis(LEASE_MS), within(1, ChronoUnit.SECONDS));
    assertThat(c.deadline()).isEqualTo(c.job().startedAt().plusMillis(120_000));
    assertThat(c.job().progress().queued()).isEqualTo(3);
    assertThat(a.get(job.id()).await().state()).isEqualTo(JobState.RUNNING);
    assertThat(a.claim("replica-a", 5, LEASE_MS).await()).isEmpty();
  }

  @Test
  void claimTakesTheHighestPriorityFirstThenTheOldest() {
    Job p0old = submit(a, 0, 1);
    Job p5old = submit(b, 5, 1);
    Job pMinus = submit(a, -3, 1);
    Job p5new = submit(a, 5, 1);
    Job p0new = submit(b, 0, 1);

    List<String> order = new ArrayList<>();
    for (Claimed c : a.claim("replica-a", 2, LEASE_MS).await()) {
      order.add(c.job().id());
    }
    for (int i = 0; i < 3; i++) {
      b.claim("replica-b", 1, LEASE_MS).await().forEach(c -> order.add(c.job().id()));
    }
    assertThat(order).containsExactly(p5old.id(), p5new.id(), p0old.id(), p0new.id(), pMinus.id());
  }

  @Test
  void twoReplicasClaimingAtOnceNeverGetTheSameJob() {
    int jobs = 300;
    Set<String> submitted = new HashSet<>();
    for (int i = 0; i < jobs; i++) {
      submitted.add(submit(i % 2 == 0 ? a : b, i % 5, 1).id());
    }
    Map<String, String> claimedBy = new ConcurrentHashMap<>();
    List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
    // each replica keeps several claims in flight at once, as a busy engine would
    List<Future<?>> loops = new ArrayList<>();
    for (PgJobStore store : List.of(a, b)) {
      for (int w = 0; w < 4; w++) {
        String replica = (store == a ? "replica-a-" : "replica-b-") + w;
        loops.add(claimUntilEmpty(store, replica, claimedBy, duplicates));
      }
    }
    Future.all(loops).await();

    assertThat(duplicates).isEmpty();
    assertThat(claimedBy.keySet()).isEqualTo(submitted);
    assertThat(new HashSet<>(claimedBy.values())).hasSizeGreaterThan(1);
    assertThat(a.countQueued().await()).isZero();
    assertThat(PgTestDatabase.sql(vertx, SCHEMA, "SELECT count(*) AS n FROM fetchd_jobs WHERE attempt <> 1")
        .iterator().next().getLong("n")).isZero();
  }

  private static Future<Void> claimUntilEmpty(PgJobStore store, String replica, Map<String, String> claimedBy,
                                              List<String> duplicates) {
    return store.claim(replica, 3, LEASE_MS).compose(claimed -> {
      if (claimed.isEmpty()) {
        return Future.succeededFuture();
      }
      for (Claimed c : claimed) {
        if (claimedBy.putIfAbsent(c.job().id(), replica) != null) {
          duplicates.add(c.job().id());
        }
      }
      return claimUntilEmpty(store, replica, claimedBy, duplicates);
    });
  }

  @Test
  void countQueuedCountsTheJobsOfEveryReplica() {
    for (int i = 0; i < 5; i++) {
      submit(a, 0, 1);
    }
    for (int i = 0; i < 3; i++) {
      submit(b, 0, 1);
    }
    assertThat(a.countQueued().await()).isEqualTo(8);
    assertThat(b.countQueued().await()).isEqualTo(8);
    a.claim("replica-a", 2, LEASE_MS).await();
    assertThat(b.countQueued().await()).isEqualTo(6);
  }

  // ---- leases ----------------------------------------------------------------------------------------

  @Test
  void anExpiredLeaseIsReclaimedAndTakenOverKeepingTheDeadline() {
    Job job = submit(a, 0, 2);
    Claimed first = a.claim("replica-a", 1, 300).await().get(0);
    assertThat(b.reclaimExpired().await()).isEmpty();
    sleep(500);

    assertThat(b.reclaimExpired().await()).containsExactly(job.id());
    Job back = b.get(job.id()).await();
    assertThat(back.state()).isEqualTo(JobState.QUEUED);
    assertThat(back.startedAt()).isNull();
    assertThat(row(job.id()).getString("claimed_by")).isNull();
    assertThat(b.countQueued().await()).isEqualTo(1);

    Claimed second = b.claim("replica-b", 1, LEASE_MS).await().get(0);
    assertThat(second.lease()).isEqualTo(new Lease(job.id(), "replica-b", 2));
    assertThat(second.deadline()).isEqualTo(first.deadline());
  }

  @Test
  void aHeartbeatKeepsTheLeaseAndTellsWhichLeasesAreLost() {
    Job kept = submit(a, 0, 1);
    Job lost = submit(a, 0, 1);
    a.claim("replica-a", 2, 400).await();
    long end = System.nanoTime() + Duration.ofMillis(1200).toNanos();
    while (System.nanoTime() < end) {
      JobClaims.Renewal r = a.renew("replica-a", List.of(kept.id()), 400).await();
      assertThat(r.held()).containsExactly(kept.id());
      sleep(100);
    }
    assertThat(b.reclaimExpired().await()).containsExactly(lost.id());
    JobClaims.Renewal r = a.renew("replica-a", List.of(kept.id(), lost.id()), 400).await();
    assertThat(r.held()).containsExactly(kept.id());
    assertThat(r.cancelRequested()).isEmpty();
    assertThat(b.renew("replica-b", List.of(kept.id()), 400).await().held()).isEmpty();
    assertThat(a.renew("replica-a", List.of(), 400).await().held()).isEmpty();
  }

  @Test
  void releaseHandsTheJobBackWithItsSucceededItemsAndItsDeadline() {
    Job job = submit(a, 0, 4);
    Claimed c = a.claim("replica-a", 1, LEASE_MS).await().get(0);
    List<Item> items = a.allItems(job.id()).await();
    items.get(0).state(ItemState.SUCCEEDED);
    items.get(0).stored(job.id() + "/0", 100, "ab".repeat(32));
    items.get(1).state(ItemState.RUNNING);
    assertThat(a.updateItems(c.lease(), items.subList(0, 2)).await()).isTrue();

    assertThat(a.release(c.lease()).await()).isTrue();
    Job back = b.get(job.id()).await();
    assertThat(back.state()).isEqualTo(JobState.QUEUED);
    assertThat(back.progress().succeeded()).isEqualTo(1);
    assertThat(back.progress().queued()).isEqualTo(3);
    assertThat(back.progress().running()).isZero();
    assertThat(back.progress().bytes()).isEqualTo(100);
    assertThat(b.item(job.id(), 1).await().state()).isEqualTo(ItemState.QUEUED);
    assertThat(a.release(c.lease()).await()).isFalse();

    Claimed again = b.claim("replica-b", 1, LEASE_MS).await().get(0);
    assertThat(again.lease().attempt()).isEqualTo(2);
    assertThat(again.deadline()).isEqualTo(c.deadline());
    assertThat(b.allItems(job.id()).await()).extracting(Item::state)
        .containsExactly(ItemState.SUCCEEDED, ItemState.QUEUED, ItemState.QUEUED, ItemState.QUEUED);
  }

  // ---- fencing ---------------------------------------------------------------------------------------

  @Test
  void aStaleReplicaBackFromAPauseCannotOverwriteTheNewHoldersWork() {
    Job submitted = submit(a, 0, 3);
    Claimed stale = a.claim("replica-a", 1, 200).await().get(0);
    sleep(400);
    b.reclaimExpired().await();
    Claimed fresh = b.claim("replica-b", 1, LEASE_MS).await().get(0);
    assertThat(fresh.lease().attempt()).isEqualTo(2);

    // the new holder's work
    List<Item> bItems = b.allItems(submitted.id()).await();
    Item done = bItems.get(0);
    done.state(ItemState.SUCCEEDED);
    done.stored(submitted.id() + "/0", 42, "cd".repeat(32));
    fresh.job().progress().moved(ItemKind.FILE, ItemState.QUEUED, ItemState.SUCCEEDED);
    fresh.job().progress().addBytes(42);
    assertThat(b.updateItems(fresh.lease(), List.of(done)).await()).isTrue();
    assertThat(b.updateJob(fresh.lease(), fresh.job()).await()).isTrue();

    // the stale replica wakes up and carries on as if nothing happened: every write is refused
    Job staleJob = stale.job();
    List<Item> aItems = a.allItems(submitted.id()).await();
    Item overwrite = aItems.get(0);
    overwrite.state(ItemState.FAILED);
    overwrite.error(new ItemError(ErrorCode.RESET, "stale"));
    assertThat(a.updateItems(stale.lease(), List.of(overwrite)).await()).isFalse();
    assertThat(a.addItems(stale.lease(), List.of(new Item(submitted.id(), 3, ItemKind.PAGE, "https://x.example/", 1, null))).await())
        .isFalse();
    staleJob.moveTo(JobState.COMPLETED, Instant.now(), null);
    assertThat(a.updateJob(stale.lease(), staleJob).await()).isFalse();
    assertThat(a.renew("replica-a", List.of(submitted.id()), LEASE_MS).await().held()).isEmpty();
    assertThat(a.release(stale.lease()).await()).isFalse();

    Job stored = b.get(submitted.id()).await();
    assertThat(stored.state()).isEqualTo(JobState.RUNNING);
    assertThat(stored.progress().succeeded()).isEqualTo(1);
    assertThat(b.allItems(submitted.id()).await()).hasSize(3);
    Item item0 = b.item(submitted.id(), 0).await();
    assertThat(item0.state()).isEqualTo(ItemState.SUCCEEDED);
    assertThat(item0.error()).isNull();
    assertThat(PgTestDatabase.sql(vertx, SCHEMA, "SELECT written_attempt FROM fetchd_items WHERE job_id = '"
        + submitted.id() + "' AND idx = 0").iterator().next().getInteger("written_attempt")).isEqualTo(2);
    assertThat(row(submitted.id()).getString("claimed_by")).isEqualTo("replica-b");
  }

  @Test
  void aFinishedJobIsNotReopenedByALateWriteOfItsOwnHolder() {
    Job submitted = submit(a, 0, 1);
    Claimed c = a.claim("replica-a", 1, LEASE_MS).await().get(0);
    Job job = c.job();
    Job late = a.get(job.id()).await();
    job.moveTo(JobState.COMPLETED, Instant.now(), null);
    assertThat(a.updateJob(c.lease(), job).await()).isTrue();
    late.progress().addBytes(1);
    assertThat(a.updateJob(c.lease(), late).await()).isFalse();
    assertThat(a.get(submitted.id()).await().state()).isEqualTo(JobState.COMPLETED);
    assertThat(row(submitted.id()).getValue("lease_until")).isNull();
    // a terminal job is not renewed nor reclaimed
    assertThat(a.renew("replica-a", List.of(job.id()), LEASE_MS).await().held()).isEmpty();
  }

  @Test
  void writesOfOneJobApplyInTheOrderTheyWereMade() {
    Job submitted = submit(a, 0, 1);
    Claimed c = a.claim("replica-a", 1, LEASE_MS).await().get(0);
    List<Future<Boolean>> writes = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      Job snapshot = a.get(submitted.id()).await();
      snapshot.restore(JobState.RUNNING, c.job().startedAt(), null, null);
      snapshot.progress().restoreBytes(i);
      writes.add(a.updateJob(c.lease(), snapshot));
    }
    Future.all(writes).await();
    assertThat(a.get(submitted.id()).await().progress().bytes()).isEqualTo(40);
  }

  // ---- cancel ----------------------------------------------------------------------------------------

  @Test
  void cancellingAQueuedJobCancelsItAndItsItemsAtOnce() {
    Job job = submit(a, 0, 3);
    assertThat(b.requestCancel(job.id(), BY_CLIENT).await()).isEqualTo(CancelOutcome.CANCELLED);
    Job read = a.get(job.id()).await();
    assertThat(read.state()).isEqualTo(JobState.CANCELLED);
    assertThat(read.error()).isEqualTo(BY_CLIENT);
    assertThat(read.finishedAt()).isNotNull();
    assertThat(read.progress().cancelled()).isEqualTo(3);
    assertThat(read.progress().queued()).isZero();
    assertThat(a.allItems(job.id()).await()).allSatisfy(i -> {
      assertThat(i.state()).isEqualTo(ItemState.CANCELLED);
      assertThat(i.error()).isEqualTo(new ItemError(ErrorCode.CANCELLED, "cancelled by client"));
    });
    assertThat(a.claim("replica-a", 5, LEASE_MS).await()).isEmpty();
    assertThat(a.countQueued().await()).isZero();
  }

  @Test
  void cancellingARunningJobReachesItsReplicaThroughTheHeartbeat() {
    Job job = submit(a, 0, 2);
    a.claim("replica-a", 1, LEASE_MS).await();
    assertThat(b.requestCancel(job.id(), BY_CLIENT).await()).isEqualTo(CancelOutcome.REQUESTED);
    assertThat(a.get(job.id()).await().state()).isEqualTo(JobState.RUNNING);
    JobClaims.Renewal r = a.renew("replica-a", List.of(job.id()), LEASE_MS).await();
    assertThat(r.held()).containsExactly(job.id());
    assertThat(r.cancelRequested()).containsExactly(Map.entry(job.id(), BY_CLIENT));
  }

  @Test
  void aRunningJobWhoseReplicaDiedAfterACancelRequestEndsCancelled() {
    Job job = submit(a, 0, 2);
    a.claim("replica-a", 1, 200).await();
    b.requestCancel(job.id(), BY_CLIENT).await();
    sleep(400);
    assertThat(b.reclaimExpired().await()).containsExactly(job.id());
    Job read = b.get(job.id()).await();
    assertThat(read.state()).isEqualTo(JobState.CANCELLED);
    assertThat(read.progress().cancelled()).isEqualTo(2);
    assertThat(b.claim("replica-b", 5, LEASE_MS).await()).isEmpty();
  }

  @Test
  void cancellingAFinishedOrUnknownJobChangesNothing() {
    Job job = submit(a, 0, 1);
    Claimed c = a.claim("replica-a", 1, LEASE_MS).await().get(0);
    c.job().moveTo(JobState.COMPLETED, Instant.now(), null);
    a.updateJob(c.lease(), c.job()).await();
    assertThat(b.requestCancel(job.id(), BY_CLIENT).await()).isEqualTo(CancelOutcome.FINISHED);
    assertThat(b.requestCancel(UUID.randomUUID().toString(), BY_CLIENT).await()).isEqualTo(CancelOutcome.UNKNOWN);
    assertThat(a.get(job.id()).await().state()).isEqualTo(JobState.COMPLETED);
    assertThat(a.get(job.id()).await().error()).isNull();
  }

  // ---- threading -------------------------------------------------------------------------------------

  @Test
  void futuresCompleteOnTheCallersEventLoop() {
    Job job = submit(a, 0, 1);
    Context ctx = vertx.getOrCreateContext();
    Promise<Boolean> same = Promise.promise();
    ctx.runOnContext(v -> a.get(job.id())
        .compose(j -> a.claim("replica-a", 1, LEASE_MS))
        .compose(cs -> a.updateItems(cs.get(0).lease(), List.of()))
        .onComplete(ar -> same.complete(ar.succeeded() && Vertx.currentContext() == ctx)));
    assertThat(same.future().await()).isTrue();
  }
}
