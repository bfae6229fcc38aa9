package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.JobError;
import dev.fetchd.job.JobState;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** LISTEN/NOTIFY between two replicas: a queued job wakes the other one, a cancel reaches the job's replica. */
class PgNotifierTest {
  static final String SCHEMA = "fetchd_test_notify";
  static final long DEADLINE_MS = 2_000;

  static Vertx vertx;
  static PgJobStore a;
  static PgJobStore b;
  PgNotifier listener;
  final BlockingQueue<Long> wakes = new LinkedBlockingQueue<>();
  final BlockingQueue<String> cancels = new LinkedBlockingQueue<>();

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    a = PgTestDatabase.freshStore(vertx, SCHEMA, 2);
    b = PgJobStore.create(vertx, PgTestDatabase.url(), 2, SCHEMA);
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
  void listen() {
    PgTestDatabase.sql(vertx, SCHEMA, "TRUNCATE fetchd_jobs, fetchd_items, fetchd_blobs");
    listener = b.notifier()
        .jobQueuedHandler(v -> wakes.add(System.nanoTime()))
        .cancelHandler(cancels::add);
    listener.start().await();
  }

  @AfterEach
  void unlisten() {
    listener.close().await();
  }

  @Test
  void aJobQueuedOnOneReplicaWakesTheOtherAtOnce() throws Exception {
    long sent = System.nanoTime();
    JobDriverContractTest.submit(a, 0, 3);
    Long woke = wakes.poll(DEADLINE_MS, TimeUnit.MILLISECONDS);
    assertThat(woke).as("job-queued notification within %d ms", DEADLINE_MS).isNotNull();
    System.out.printf("job-queued notification after %.1f ms (insert included)%n", (woke - sent) / 1e6);
  }

  @Test
  void aCancelReachesTheReplicaThatRunsTheJob() throws Exception {
    var job = JobDriverContractTest.submit(a, 0, 1);
    b.claim("replica-b", 1, 30_000).await();
    assertThat(a.requestCancel(job.id(), new JobError("cancelled", "cancelled by client")).await())
        .isEqualTo(JobClaims.CancelOutcome.REQUESTED);
    assertThat(cancels.poll(DEADLINE_MS, TimeUnit.MILLISECONDS)).isEqualTo(job.id());
  }

  @Test
  void aJobHandedBackWakesTheReplicas() throws Exception {
    JobDriverContractTest.submit(a, 0, 1);
    JobClaims.Claimed c = a.claim("replica-a", 1, 30_000).await().get(0);
    wakes.poll(DEADLINE_MS, TimeUnit.MILLISECONDS);
    wakes.clear();
    assertThat(a.release(c.lease(), null).await()).isNotNull();
    assertThat(wakes.poll(DEADLINE_MS, TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(a.get(c.job().id()).await().state()).isEqualTo(JobState.QUEUED);
  }

  @Test
  void notificationsCanBeSentByHand() throws Exception {
    PgNotifier sender = a.notifier();
    sender.notifyJobQueued().await();
    sender.notifyCancel("job-42").await();
    assertThat(wakes.poll(DEADLINE_MS, TimeUnit.MILLISECONDS)).isNotNull();
    assertThat(cancels.poll(DEADLINE_MS, TimeUnit.MILLISECONDS)).isEqualTo("job-42");
  }

  @Test
  void theListenerReconnectsWhenItsConnectionIsCutAndThenPolls() throws Exception {
    int pid = listener.processId();
    assertThat(pid).isPositive();
    PgTestDatabase.sql(vertx, SCHEMA, "SELECT pg_terminate_backend(" + pid + ")");
    // after the reconnect the job-queued handler fires once, since notifications may have been missed
    assertThat(wakes.poll(10_000, TimeUnit.MILLISECONDS)).as("wake after reconnect").isNotNull();
    assertThat(listener.listening()).isTrue();
    assertThat(listener.processId()).isNotEqualTo(pid);
    a.notifier().notifyCancel("after-reconnect").await();
    assertThat(cancels.poll(DEADLINE_MS, TimeUnit.MILLISECONDS)).isEqualTo("after-reconnect");
  }

  @Test
  void storesInOtherSchemasDoNotWakeEachOther() throws Exception {
    PgJobStore other = PgTestDatabase.freshStore(vertx, "fetchd_test_notify_other", 1);
    try {
      assertThat(other.channels()).isNotEqualTo(b.channels());
      JobDriverContractTest.submit(other, 0, 1);
      assertThat(wakes.poll(300, TimeUnit.MILLISECONDS)).isNull();
    } finally {
      other.close().await();
    }
    assertThat(List.of(a.channels().jobs(), a.channels().cancel()))
        .containsExactly("fetchd_jobs_" + SCHEMA, "fetchd_cancel_" + SCHEMA);
  }
}
