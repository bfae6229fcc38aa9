package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.HostPermits.HostGrant;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link HostPermits} must do, whatever keeps the slots. An implementation passes by extending this
 * class and saying how to open {@link #INSTANCES} views of one empty table (for PostgreSQL: one per pool, as
 * separate replicas would have). Tests run on the test thread and wait with {@code await()}.
 */
abstract class HostPermitsContractTest {
  /** How many views of the same permits a test may use, like replicas. */
  static final int INSTANCES = 3;
  static final long LEASE = 60_000;
  protected static Vertx vertx;
  private String host;

  /** View {@code i} (0 to {@link #INSTANCES} - 1) of the permits, all emptied before each test. */
  protected abstract HostPermits permits(int i);

  /** Empties the permits before each test. */
  protected abstract void empty();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().await();
  }

  @BeforeEach
  void fresh() {
    empty();
    host = "h-" + UUID.randomUUID() + ":80";
  }

  private HostGrant acquire(int i, String host, int max, long delayMs, long leaseMs) {
    return permits(i).acquire(host, max, delayMs, "replica-" + i, leaseMs).await();
  }

  /** Asks until granted (polling with a short pause, within a deadline); the grant. */
  private HostGrant acquireWithin(int i, String host, int max, long delayMs, long leaseMs, long deadlineMs)
      throws InterruptedException {
    long deadline = System.nanoTime() + deadlineMs * 1_000_000;
    while (true) {
      HostGrant g = acquire(i, host, max, delayMs, leaseMs);
      if (g.granted()) {
        return g;
      }
      assertThat(System.nanoTime()).as("granted within " + deadlineMs + " ms").isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @Test
  void anAcquireBeyondTheMaximumIsRefusedUntilARelease() {
    HostGrant a = acquire(0, host, 2, 0, LEASE);
    HostGrant b = acquire(1, host, 2, 0, LEASE);
    assertThat(a.granted()).isTrue();
    assertThat(b.granted()).isTrue();
    assertThat(a.slot()).isNotEqualTo(b.slot());
    HostGrant c = acquire(2, host, 2, 0, LEASE);
    assertThat(c.granted()).isFalse();
    assertThat(c.retryInMs()).as("full: no telling when").isEqualTo(-1);
    // another host is not concerned
    assertThat(acquire(2, "other-" + host, 2, 0, LEASE).granted()).isTrue();

    permits(1).release(host, b.slot()).await();
    assertThat(acquire(2, host, 2, 0, LEASE).granted()).isTrue();
    assertThat(acquire(0, host, 2, 0, LEASE).granted()).isFalse();
    // a second release of the same slot, or of a slot never granted, frees nothing more
    permits(1).release(host, b.slot()).await();
    permits(1).release(host, 987_654_321L).await();
    assertThat(acquire(0, host, 2, 0, LEASE).granted()).isFalse();
  }

  @Test
  void holdersTakeTurnsTheOneThatWaitedLongerGoesFirst() throws InterruptedException {
    HostGrant a = acquire(0, host, 1, 0, LEASE);
    assertThat(a.granted()).isTrue();
    assertThat(a.othersWait()).isFalse();
    assertThat(acquire(1, host, 1, 0, LEASE).granted()).as("full").isFalse();
    permits(0).release(host, a.slot()).await();
    // the holder that just gave its slot back does not take it again before the one waiting
    HostGrant again = acquire(0, host, 1, 0, LEASE);
    assertThat(again.granted()).isFalse();
    assertThat(again.retryInMs()).isEqualTo(-1);
    HostGrant b = acquire(1, host, 1, 0, LEASE);
    assertThat(b.granted()).isTrue();
    assertThat(b.othersWait()).as("holder 0 was refused meanwhile").isTrue();
    permits(1).release(host, b.slot()).await();
    assertThat(acquire(1, host, 1, 0, LEASE).granted()).as("holder 0's turn").isFalse();
    assertThat(acquire(0, host, 1, 0, LEASE).granted()).isTrue();
    // a holder that stopped asking loses its turn within a second or so
    String other = "other-" + host;
    HostGrant held = acquire(0, other, 1, 0, LEASE);
    assertThat(acquire(1, other, 1, 0, LEASE).granted()).isFalse();
    permits(0).release(other, held.slot()).await();
    acquireWithin(0, other, 1, 0, LEASE, 5_000);
  }

  @Test
  void theDelayBetweenTwoStartsHoldsAcrossHolders() throws InterruptedException {
    long delay = 400;
    long t0 = System.nanoTime();
    assertThat(acquire(0, host, 5, delay, LEASE).granted()).isTrue();
    HostGrant refused = acquire(1, host, 5, delay, LEASE);
    assertThat(refused.granted()).isFalse();
    assertThat(refused.retryInMs()).as("the rest of the delay").isBetween(1L, delay);
    // (holder 2 goes after holder 1, which waited longer, or after holder 1 stopped asking)
    HostGrant later = acquireWithin(2, host, 5, delay, LEASE, 5_000);
    long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(later.granted()).isTrue();
    assertThat(elapsedMs).as("second start after the delay").isGreaterThanOrEqualTo(delay);
    // a holder asking for no delay is not held back by another's
    assertThat(acquire(0, host, 5, 0, LEASE).granted()).isTrue();
  }

  @Test
  void aSlotWhoseLeaseRanOutIsFreed() throws InterruptedException {
    long t0 = System.nanoTime();
    HostGrant held = acquire(0, host, 1, 0, 300);
    assertThat(held.granted()).isTrue();
    assertThat(acquire(1, host, 1, 0, LEASE).granted()).isFalse();
    acquireWithin(1, host, 1, 0, LEASE, 10_000);
    assertThat((System.nanoTime() - t0) / 1_000_000).as("freed only at the lease's end").isGreaterThanOrEqualTo(300);
    // the holder of the expired slot releasing it late frees nothing
    assertThat(acquire(2, host, 1, 0, LEASE).granted()).isFalse();
  }

  @Test
  void aRenewedSlotOutlivesItsFirstLease() throws InterruptedException {
    HostGrant held = acquire(0, host, 1, 0, 400);
    assertThat(held.granted()).isTrue();
    HostGrant other = acquire(0, "other-" + host, 1, 0, 400);
    assertThat(permits(1).renew("replica-1", List.of(held.slot()), 60_000).await()).as("not replica-1's").isZero();
    assertThat(permits(0).renew("replica-0", List.of(held.slot()), 60_000).await()).isEqualTo(1);
    long until = System.nanoTime() + 800_000_000L;
    while (System.nanoTime() < until) {
      assertThat(acquire(1, host, 1, 0, LEASE).granted()).as("the renewed slot still counts").isFalse();
      Thread.sleep(50);
    }
    // a slot not named was not renewed: it ran out
    assertThat(acquire(1, "other-" + host, 1, 0, LEASE).granted()).isTrue();
    assertThat(other.granted()).isTrue();
  }

  @Test
  void sweepForgetsIdleHostsAndKeepsBusyOnes() {
    HostGrant a = acquire(0, host, 1, 60_000, LEASE);
    permits(0).release(host, a.slot()).await();
    String busy = "busy-" + host;
    assertThat(acquire(0, busy, 1, 60_000, LEASE).granted()).isTrue();
    // idle for longer than an hour: nothing to forget yet; the delay still holds
    assertThat(permits(1).sweep(3_600_000).await()).isZero();
    assertThat(acquire(1, host, 1, 60_000, LEASE).granted()).isFalse();
    // idle for longer than no time: the idle host is forgotten, with its delay; the busy one stays
    assertThat(permits(1).sweep(0).await()).isEqualTo(1);
    assertThat(acquire(1, host, 1, 60_000, LEASE).granted()).isTrue();
    assertThat(acquire(1, busy, 1, 0, LEASE).granted()).isFalse();
  }

  @Test
  void concurrentAcquirersFromSeveralHoldersNeverExceedTheMaximum() {
    int max = 3;
    int workers = 24;
    int grantsEach = 15;
    AtomicInteger inUse = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    AtomicInteger grants = new AtomicInteger();
    AtomicInteger refusals = new AtomicInteger();
    List<Future<Void>> all = new ArrayList<>();
    // one event loop, as in the engine: the acquirers still overlap (every answer is asynchronous)
    io.vertx.core.Context loop = vertx.getOrCreateContext();
    for (int w = 0; w < workers; w++) {
      Promise<Void> done = Promise.promise();
      int instance = w % INSTANCES;
      loop.runOnContext(v -> work(instance, max, grantsEach, inUse, peak, grants, refusals, done));
      all.add(done.future());
    }
    Future.all(all).await();
    assertThat(grants.get()).isEqualTo(workers * grantsEach);
    assertThat(peak.get()).as("most slots in use at once").isLessThanOrEqualTo(max);
    assertThat(peak.get()).as("the acquirers did overlap").isEqualTo(max);
    assertThat(refusals.get()).isPositive();
    // every slot was given back: the host has its whole maximum again
    for (int i = 0; i < max; i++) {
      assertThat(acquire(i % INSTANCES, host, max, 0, LEASE).granted()).isTrue();
    }
  }

  /** One acquirer: takes a slot, holds it a few ms (counted in use), gives it back; {@code left} times. */
  private void work(int i, int max, int left, AtomicInteger inUse, AtomicInteger peak, AtomicInteger grants,
                    AtomicInteger refusals, Promise<Void> done) {
    if (left == 0) {
      done.complete();
      return;
    }
    permits(i).acquire(host, max, 0, "replica-" + i, LEASE).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      HostGrant g = ar.result();
      if (!g.granted()) {
        refusals.incrementAndGet();
        vertx.setTimer(1 + ThreadLocalRandom.current().nextInt(3),
            t -> work(i, max, left, inUse, peak, grants, refusals, done));
        return;
      }
      grants.incrementAndGet();
      peak.accumulateAndGet(inUse.incrementAndGet(), Math::max);
      vertx.setTimer(1 + ThreadLocalRandom.current().nextInt(5), t -> {
        // counted out before the release is sent: the count is never above what the permits allowed
        inUse.decrementAndGet();
        permits(i).release(host, g.slot()).onComplete(r -> {
          if (r.failed()) {
            done.fail(r.cause());
          } else {
            work(i, max, left - 1, inUse, peak, grants, refusals, done);
          }
        });
      });
    });
  }
}
