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
 * The driver contract: claiming, leases, fencing, hand-back, cancel and the queue's capacity, passed by the
 * in-memory driver and the PostgreSQL one alike (as River's drivers and JobRunr's storage providers are
 * tested). {@code a} and {@code b} stand for two replicas: two stores with pools of their own on one
 * database, or the one in-memory store (one process). Where leases must expire (hundreds of ms here), the
 * test needs a driver whose leases do; in memory they never do.
 */
abstract class JobDriverContractTest {
  static final long LEASE_MS = 30_000;
  static final JobError BY_CLIENT = new JobError("cancelled", "cancelled by client");

  static Vertx vertx;
  JobDriver a;
  JobDriver b;

  /** The two replicas' drivers, on an empty store. */
  protected abstract JobDriver[] open();

  /**
   * Whether the queue is shared and outlives this process: leases run out and a released job goes back to
   * the queue (false in memory, where no other replica could take a job over).
   */
  protected abstract boolean sharedQueue();

  /** Runs {@code check} on the job's row where the driver has rows (PostgreSQL). */
  protected abstract void checkRow(String jobId, java.util.function.Consumer<Row> check);

  /** Runs a count query where the driver has SQL, else null. */
  protected abstract Long sqlCount(String sql);

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().await();
  }

  @BeforeEach
  void empty() {
    JobDriver[] d = open();
    a = d[0];
    b = d[1];
  }

  static List<String> reclaimed(JobDriver d) {
    return d.reclaimExpired(3).await().stream().map(JobClaims.Moved::jobId).toList();
  }

  static boolean released(JobDriver d, Lease lease) {
    return d.release(lease, new JobError("shutdown", "shut down")).await() != null;
  }

  void needsSharedQueue() {
    org.junit.jupiter.api.Assumptions.assumeTrue(sharedQueue(), "one process: leases never expire and nobody takes a job over");
  }

  static Job submit(JobDriver store, int priority, int urls) {
    return submit(store, priority, urls, 3_600_000);
  }

  static Job submit(JobDriver store, int priority, int urls, long timeoutMs) {
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
    for (JobDriver store : List.of(a, b)) {
      for (int w = 0; w < 4; w++) {
        String replica = (store == a ? "replica-a-" : "replica-b-") + w;
        loops.add(claimUntilEmpty(store, replica, claimedBy, duplicates));
      }
    }
    Future.all(loops).await();

    assertThat(duplicates).isEmpty();
    assertThat(claimedBy.keySet()).isEqualTo(submitted);
    if (sharedQueue()) {
      assertThat(new HashSet<>(claimedBy.values())).hasSizeGreaterThan(1);
    }
    assertThat(a.countQueued().await()).isZero();
    assertThat(sqlCount("SELECT count(*) AS n FROM fetchd_jobs WHERE attempt <> 1")).isIn(null, 0L);
  }

  private static Future<Void> claimUntilEmpty(JobDriver store, String replica, Map<String, String> claimedBy,
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
    needsSharedQueue();
    Job job = submit(a, 0, 2);
    Claimed first = a.claim("replica-a", 1, 300).await().get(0);
    assertThat(reclaimed(b)).isEmpty();
    sleep(500);

    assertThat(reclaimed(b)).containsExactly(job.id());
    Job back = b.get(job.id()).await();
    assertThat(back.state()).isEqualTo(JobState.QUEUED);
    assertThat(back.startedAt()).isNull();
    checkRow(job.id(), r -> assertThat(r.getString("claimed_by")).isNull());
    assertThat(b.countQueued().await()).isEqualTo(1);

    Claimed second = b.claim("replica-b", 1, LEASE_MS).await().get(0);
    assertThat(second.lease()).isEqualTo(new Lease(job.id(), "replica-b", 2));
    assertThat(second.deadline()).isEqualTo(first.deadline());
  }

  @Test
  void aHeartbeatKeepsTheLeaseAndTellsWhichLeasesAreLost() {
    needsSharedQueue();
    Job kept = submit(a, 0, 1);
    Job lost = submit(a, 0, 1);
    a.claim("replica-a", 2, 400).await();
    long end = System.nanoTime() + Duration.ofMillis(1200).toNanos();
    while (System.nanoTime() < end) {
      JobClaims.Renewal r = a.renew("replica-a", List.of(kept.id()), 400).await();
      assertThat(r.held()).containsExactly(kept.id());
      sleep(100);
    }
    assertThat(reclaimed(b)).containsExactly(lost.id());
    JobClaims.Renewal r = a.renew("replica-a", List.of(kept.id(), lost.id()), 400).await();
    assertThat(r.held()).containsExactly(kept.id());
    assertThat(r.cancelRequested()).isEmpty();
    assertThat(b.renew("replica-b", List.of(kept.id()), 400).await().held()).isEmpty();
    assertThat(a.renew("replica-a", List.of(), 400).await().held()).isEmpty();
  }

  @Test
  void releaseHandsTheJobBackWithItsSucceededItemsAndItsDeadline() {
    needsSharedQueue();
    Job job = submit(a, 0, 4);
    Claimed c = a.claim("replica-a", 1, LEASE_MS).await().get(0);
    List<Item> items = a.allItems(job.id()).await();
    items.get(0).state(ItemState.SUCCEEDED);
    items.get(0).stored(job.id() + "/0", 100, "ab".repeat(32));
    items.get(1).state(ItemState.RUNNING);
    assertThat(a.updateItems(c.lease(), items.subList(0, 2)).await()).isTrue();

    assertThat(released(a, c.lease())).isTrue();
    Job back = b.get(job.id()).await();
    assertThat(back.state()).isEqualTo(JobState.QUEUED);
    assertThat(back.progress().succeeded()).isEqualTo(1);
    assertThat(back.progress().queued()).isEqualTo(3);
    assertThat(back.progress().running()).isZero();
    assertThat(back.progress().bytes()).isEqualTo(100);
    assertThat(b.item(job.id(), 1).await().state()).isEqualTo(ItemState.QUEUED);
    assertThat(released(a, c.lease())).isFalse();

    Claimed again = b.claim("replica-b", 1, LEASE_MS).await().get(0);
    assertThat(again.lease().attempt()).isEqualTo(2);
    assertThat(again.deadline()).isEqualTo(c.deadline());
    assertThat(b.allItems(job.id()).await()).extracting(Item::state)
        .containsExactly(ItemState.SUCCEEDED, ItemState.QUEUED, ItemState.QUEUED, ItemState.QUEUED);
  }

  // ---- fencing ---------------------------------------------------------------------------------------

  @Test
  void aStaleReplicaBackFromAPauseCannotOverwriteTheNewHoldersWork() {
    needsSharedQueue();
    Job submitted = submit(a, 0, 3);
    Claimed stale = a.claim("replica-a", 1, 200).await().get(0);
    sleep(400);
    reclaimed(b);
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
    assertThat(released(a, stale.lease())).isFalse();

    Job stored = b.get(submitted.id()).await();
    assertThat(stored.state()).isEqualTo(JobState.RUNNING);
    assertThat(stored.progress().succeeded()).isEqualTo(1);
    assertThat(b.allItems(submitted.id()).await()).hasSize(3);
    Item item0 = b.item(submitted.id(), 0).await();
    assertThat(item0.state()).isEqualTo(ItemState.SUCCEEDED);
    assertThat(item0.error()).isNull();
    assertThat(sqlCount("SELECT written_attempt AS n FROM fetchd_items WHERE job_id = '" + submitted.id()
        + "' AND idx = 0")).isIn(null, 2L);
    checkRow(submitted.id(), r -> assertThat(r.getString("claimed_by")).isEqualTo("replica-b"));
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
    checkRow(submitted.id(), r -> assertThat(r.getValue("lease_until")).isNull());
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
    needsSharedQueue();
    Job job = submit(a, 0, 2);
    a.claim("replica-a", 1, 200).await();
    b.requestCancel(job.id(), BY_CLIENT).await();
    sleep(400);
    assertThat(reclaimed(b)).containsExactly(job.id());
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

  // ---- the queue's capacity, attempts, counts, notifications ---------------------------------------

  static Job newJob(int urls) {
    List<String> list = new ArrayList<>();
    for (int i = 0; i < urls; i++) {
      list.add("https://example.com/" + i);
    }
    JobSpec spec = new JobSpec(JobType.DOWNLOAD, list, new Limits(8, 4, 0, 30_000, 3_600_000, 1 << 20, 2), null, 0,
        Map.of());
    return new Job(UUID.randomUUID().toString(), spec, Instant.now(), null, null, null);
  }

  @Test
  void queueCapacityHoldsForConcurrentSubmitsAcrossReplicas() {
    List<Future<Boolean>> submits = new ArrayList<>();
    Context ctxA = vertx.getOrCreateContext();
    Context ctxB = vertx.getOrCreateContext();
    List<Promise<Boolean>> all = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      JobDriver d = i % 2 == 0 ? a : b;
      Promise<Boolean> p = Promise.promise();
      all.add(p);
      (i % 2 == 0 ? ctxA : ctxB).runOnContext(v -> {
        Job job = newJob(2);
        d.submit(job, JobStoreContractTest.itemsOf(job), 3).onComplete(p);
      });
    }
    all.forEach(p -> submits.add(p.future()));
    Future.all(submits).await();
    long accepted = submits.stream().filter(f -> f.result()).count();
    assertThat(accepted).isEqualTo(3);
    assertThat(a.countQueued().await()).isEqualTo(3);
    // a claimed job frees a place
    a.claim("replica-a", 1, LEASE_MS).await();
    Job next = newJob(1);
    assertThat(b.submit(next, JobStoreContractTest.itemsOf(next), 3).await()).isTrue();
    Job over = newJob(1);
    assertThat(a.submit(over, JobStoreContractTest.itemsOf(over), 3).await()).isFalse();
    assertThat(a.get(over.id()).await()).as("a refused job is not stored").isNull();
  }

  @Test
  void aJobClaimedMaxAttemptsTimesWithoutFinishingEndsFailed() {
    needsSharedQueue();
    Job job = submit(a, 0, 2);
    for (int attempt = 1; attempt <= 3; attempt++) {
      Claimed c = a.claim("replica-" + attempt, 1, 150).await().get(0);
      assertThat(c.lease().attempt()).isEqualTo(attempt);
      sleep(300);
      List<JobClaims.Moved> moved = b.reclaimExpired(3).await();
      assertThat(moved).hasSize(1);
      assertThat(moved.get(0).from()).isEqualTo(JobState.RUNNING);
      assertThat(moved.get(0).to()).isEqualTo(attempt < 3 ? JobState.QUEUED : JobState.FAILED);
    }
    Job read = b.get(job.id()).await();
    assertThat(read.state()).isEqualTo(JobState.FAILED);
    assertThat(read.error().code()).isEqualTo("attempts_exhausted");
    assertThat(read.progress().queued()).isZero();
    assertThat(b.allItems(job.id()).await()).allSatisfy(i -> assertThat(i.state()).isEqualTo(ItemState.CANCELLED));
    assertThat(b.claim("replica-x", 5, LEASE_MS).await()).isEmpty();
  }

  @Test
  void releaseInOneProcessEndsTheJobCancelledWithItsItems() {
    org.junit.jupiter.api.Assumptions.assumeFalse(sharedQueue(), "a shared queue takes the job back instead");
    Job job = submit(a, 0, 3);
    Claimed c = a.claim("replica-a", 1, LEASE_MS).await().get(0);
    JobClaims.Moved m = a.release(c.lease(), new JobError("shutdown", "shut down")).await();
    assertThat(m.from()).isEqualTo(JobState.RUNNING);
    assertThat(m.to()).isEqualTo(JobState.CANCELLED);
    Job read = a.get(job.id()).await();
    assertThat(read.error().code()).isEqualTo("shutdown");
    assertThat(read.progress().cancelled()).isEqualTo(3);
  }

  @Test
  void countByStateCountsEveryReplicasJobs() {
    submit(a, 0, 1);
    submit(b, 0, 1);
    Job done = submit(a, 0, 1);
    Claimed c = null;
    for (Claimed x : a.claim("replica-a", 3, LEASE_MS).await()) {
      if (x.job().id().equals(done.id())) {
        c = x;
      }
    }
    c.job().moveTo(JobState.COMPLETED, Instant.now(), null);
    assertThat(a.updateJob(c.lease(), c.job()).await()).isTrue();
    Map<JobState, Long> counts = b.countByState().await();
    assertThat(counts.get(JobState.RUNNING)).isEqualTo(2);
    assertThat(counts.get(JobState.COMPLETED)).isEqualTo(1);
    assertThat(counts.get(JobState.QUEUED)).isZero();

    // and they follow a queued job cancelled and a finished job removed
    Job waiting = submit(b, 0, 1);
    assertThat(b.countByState().await().get(JobState.QUEUED)).isEqualTo(1);
    a.requestCancel(waiting.id(), new JobError("cancelled", "by the test")).await();
    a.delete(done.id()).await();
    counts = b.countByState().await();
    assertThat(counts.get(JobState.QUEUED)).isZero();
    assertThat(counts.get(JobState.CANCELLED)).isEqualTo(1);
    assertThat(counts.get(JobState.COMPLETED)).isZero();
    assertThat(counts.get(JobState.RUNNING)).isEqualTo(2);
  }

  @Test
  void listenersHearOfQueuedJobsCancelsAndChanges() throws Exception {
    List<String> heard = Collections.synchronizedList(new ArrayList<>());
    Context ctx = vertx.getOrCreateContext();
    Promise<Void> listening = Promise.promise();
    ctx.runOnContext(v -> b.listen(new JobDriver.Listener() {
      @Override
      public void jobQueued() {
        heard.add("queued");
      }

      @Override
      public void cancelRequested(String jobId) {
        heard.add("cancel " + jobId);
      }

      @Override
      public void jobChanged(String jobId) {
        heard.add("changed " + jobId);
      }
    }).onComplete(listening));
    listening.future().await();
    try {
      Job job = submit(a, 0, 1);
      waitFor(heard, "queued");
      Claimed c = a.claim("replica-a", 1, LEASE_MS).await().get(0);
      assertThat(a.updateJob(c.lease(), c.job()).await()).isTrue();
      waitFor(heard, "changed " + job.id());
      a.requestCancel(job.id(), BY_CLIENT).await();
      waitFor(heard, "cancel " + job.id());
    } finally {
      b.unlisten().await();
    }
  }

  private static void waitFor(List<String> heard, String what) {
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!heard.contains(what)) {
      assertThat(System.nanoTime()).as("heard " + what + " in time; heard " + heard).isLessThan(end);
      sleep(10);
    }
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
