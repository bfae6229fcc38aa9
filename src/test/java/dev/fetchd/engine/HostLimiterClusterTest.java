package dev.fetchd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.HostPermits;
import dev.fetchd.store.PgJobStore;
import dev.fetchd.store.PgTestDatabase;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The local limiter in front of the cluster's host permits (PostgreSQL): two limiters stand for two replicas.
 * Each limiter lives on a context of its own, as on a replica's event loop.
 */
class HostLimiterClusterTest {
  private static final String SCHEMA = "fetchd_test_host_limiter";
  private static final String HOST = "target.example:80";
  private Vertx vertx;
  private PgJobStore storeA;
  private PgJobStore storeB;
  private Context ctxA;
  private Context ctxB;
  private HostLimiter a;
  private HostLimiter b;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    PgTestDatabase.dropSchema(vertx, SCHEMA);
    storeA = PgJobStore.create(vertx, PgTestDatabase.url(), 2, SCHEMA);
    storeA.init().await();
    storeB = PgJobStore.create(vertx, PgTestDatabase.url(), 2, SCHEMA);
    ctxA = vertx.getOrCreateContext();
    ctxB = vertx.getOrCreateContext();
    a = on(ctxA, () -> limiter(storeA.hostPermits(), "replica-a"));
    b = on(ctxB, () -> limiter(storeB.hostPermits(), "replica-b"));
  }

  private HostLimiter limiter(HostPermits permits, String holder) {
    HostLimiter l = new HostLimiter(vertx);
    l.cluster(permits, holder);
    return l;
  }

  @AfterEach
  void tearDown() {
    storeA.close().await();
    storeB.close().await();
    vertx.close().await();
  }

  @Test
  void aReplicaWaitsForTheClusterKeepingItsLocalSlotAndCancelLeavesNothingHeld() throws Exception {
    Future<Void> first = on(ctxA, () -> a.acquire(HOST, 1, 0));
    await("replica a granted", first::succeeded);
    assertThat(slots()).isEqualTo(1);

    // replica b: granted here, refused by the cluster; it waits keeping its local slot, and its next local
    // waiter queues locally without asking the database
    Future<Void> second = on(ctxB, () -> b.acquire(HOST, 1, 0));
    Future<Void> third = on(ctxB, () -> b.acquire(HOST, 1, 0));
    await("replica b waits for the cluster", () -> on(ctxB, () -> b.clusterWaiters()) == 1);
    assertThat(second.isComplete()).isFalse();
    assertThat(on(ctxB, () -> b.inFlight(HOST))).isEqualTo(1);
    assertThat(on(ctxB, () -> b.waiters())).isEqualTo(1);

    // both withdrawn (a job cancelled): nothing held here, nothing in the cluster
    assertThat(on(ctxB, () -> b.cancel(HOST, second))).isTrue();
    assertThat(on(ctxB, () -> b.cancel(HOST, third))).isTrue();
    assertThat(second.failed()).isTrue();
    assertThat(third.failed()).isTrue();
    assertThat(on(ctxB, () -> b.inFlight(HOST) + b.waiters() + b.clusterWaiters())).isZero();
    assertThat(slots()).isEqualTo(1);

    // once a gives its slot back, b gets one, and gives it back too
    on(ctxA, () -> {
      a.release(HOST);
      return null;
    });
    Future<Void> fourth = on(ctxB, () -> b.acquire(HOST, 1, 0));
    await("replica b granted once a released", fourth::succeeded);
    assertThat(slots()).isEqualTo(1);
    on(ctxB, () -> {
      b.release(HOST);
      return null;
    });
    await("every cluster slot given back", () -> slots() == 0);
  }

  @Test
  void aSlotGivenBackPassesToTheNextRequestInTheSameTurnAndIsReleasedOtherwise() throws Exception {
    Future<Void> first = on(ctxA, () -> a.acquire(HOST, 2, 0));
    await("granted", first::succeeded);
    long slot = slotId();
    // the item that takes the freed job permit asks in the same turn: it gets the same slot, no round trip
    Future<Void> next = on(ctxA, () -> {
      a.release(HOST);
      return a.acquire(HOST, 2, 0);
    });
    assertThat(next.succeeded()).as("granted at once").isTrue();
    assertThat(slotId()).isEqualTo(slot);
    // a request with other limits asks the cluster itself; the slot offered meanwhile goes back after the turn
    Future<Void> other = on(ctxA, () -> {
      a.release(HOST);
      return a.acquire(HOST, 3, 0);
    });
    await("granted by the cluster", other::succeeded);
    await("the offered slot given back", () -> slots() == 1);
    assertThat(slotId()).isNotEqualTo(slot);
    on(ctxA, () -> {
      a.release(HOST);
      return null;
    });
    await("nothing held", () -> slots() == 0);
  }

  @Test
  void withTheDatabaseUnreachableFetchesWaitInsteadOfGoingUnchecked() throws Exception {
    storeB.close().await();
    Future<Void> waiting = on(ctxB, () -> b.acquire(HOST, 1, 0));
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
    while (System.nanoTime() < until) {
      assertThat(waiting.isComplete()).as("not granted without the cluster").isFalse();
      Thread.sleep(20);
    }
    assertThat(on(ctxB, () -> b.clusterWaiters())).isEqualTo(1);
    assertThat(on(ctxB, () -> b.cancel(HOST, waiting))).isTrue();
    assertThat(on(ctxB, () -> b.inFlight(HOST))).isZero();
  }

  private long slotId() {
    PgConnection conn = PgConnection.connect(vertx, PgConnectOptions.fromUri(PgTestDatabase.url())).await();
    try {
      return conn.query("SELECT max(id) FROM " + SCHEMA + ".fetchd_host_slots").execute().await()
          .iterator().next().getLong(0);
    } finally {
      conn.close().await();
    }
  }

  private long slots() {
    PgConnection conn = PgConnection.connect(vertx, PgConnectOptions.fromUri(PgTestDatabase.url())).await();
    try {
      return conn.query("SELECT count(*) FROM " + SCHEMA + ".fetchd_host_slots").execute().await()
          .iterator().next().getLong(0);
    } finally {
      conn.close().await();
    }
  }

  /** Runs {@code work} on {@code ctx} (the limiter's thread) and returns its result. */
  private static <T> T on(Context ctx, Supplier<T> work) {
    CompletableFuture<T> out = new CompletableFuture<>();
    ctx.runOnContext(v -> {
      try {
        out.complete(work.get());
      } catch (Throwable t) {
        out.completeExceptionally(t);
      }
    });
    return out.join();
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
