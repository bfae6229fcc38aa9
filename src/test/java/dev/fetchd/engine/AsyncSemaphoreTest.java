package dev.fetchd.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.Test;

class AsyncSemaphoreTest {

  @Test
  void grantsAtOnceWhileFreeThenQueuesInArrivalOrder() {
    AsyncSemaphore s = new AsyncSemaphore(2);
    assertThat(s.acquire().succeeded()).isTrue();
    assertThat(s.acquire().succeeded()).isTrue();
    Future<Void> third = s.acquire();
    Future<Void> fourth = s.acquire();
    assertThat(third.isComplete()).isFalse();
    assertThat(s.waiters()).isEqualTo(2);

    s.release();
    assertThat(third.succeeded()).isTrue();
    assertThat(fourth.isComplete()).isFalse();
    assertThat(s.inUse()).isEqualTo(2);

    s.release();
    assertThat(fourth.succeeded()).isTrue();
    s.release();
    s.release();
    assertThat(s.inUse()).isZero();
    assertThat(s.waiters()).isZero();
  }

  @Test
  void aCancelledWaiterLeavesTheQueueAndTakesNoPermit() {
    AsyncSemaphore s = new AsyncSemaphore(1);
    s.acquire();
    Future<Void> cancelled = s.acquire();
    Future<Void> next = s.acquire();

    assertThat(s.cancel(cancelled)).isTrue();
    assertThat(cancelled.failed()).isTrue();
    assertThat(cancelled.cause()).isInstanceOf(CancellationException.class);
    assertThat(s.waiters()).isEqualTo(1);

    s.release();
    assertThat(next.succeeded()).isTrue();
    assertThat(s.inUse()).isEqualTo(1);
    assertThat(s.cancel(next)).as("a granted waiter cannot be cancelled").isFalse();
    s.release();
    assertThat(s.inUse()).isZero();
  }

  @Test
  void releaseWithoutAPermitIsRefusedAndNeverGoesNegative() {
    AsyncSemaphore s = new AsyncSemaphore(3);
    assertThatThrownBy(s::release).isInstanceOf(IllegalStateException.class);
    assertThat(s.inUse()).isZero();
    assertThat(s.available()).isEqualTo(3);
  }

  @Test
  void tryAcquireDoesNotJumpTheQueue() {
    AsyncSemaphore s = new AsyncSemaphore(1);
    s.acquire();
    Future<Void> waiting = s.acquire();
    s.release();
    assertThat(waiting.succeeded()).isTrue();
    assertThat(s.tryAcquire()).isFalse();
  }

  @Test
  void randomAcquireCancelReleaseSequencesKeepTheInvariants() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      int limit = 1 + random.nextInt(5);
      AsyncSemaphore s = new AsyncSemaphore(limit);
      List<Future<Void>> waiting = new ArrayList<>();
      int held = 0;
      for (int step = 0; step < 300; step++) {
        int op = random.nextInt(3);
        if (op == 0) {
          Future<Void> f = s.acquire();
          if (f.succeeded()) {
            held++;
          } else {
            waiting.add(f);
          }
        } else if (op == 1 && !waiting.isEmpty()) {
          Future<Void> f = waiting.remove(random.nextInt(waiting.size()));
          if (!s.cancel(f)) {
            held++;
          }
        } else if (held > 0) {
          s.release();
          held--;
        }
        // waiters granted by a release now hold a permit
        for (var it = waiting.iterator(); it.hasNext(); ) {
          if (it.next().succeeded()) {
            it.remove();
            held++;
          }
        }
        assertThat(s.inUse()).isEqualTo(held).isBetween(0, limit);
        assertThat(s.waiters()).isEqualTo(waiting.size());
      }
      while (held > 0) {
        s.release();
        held--;
        for (var it = waiting.iterator(); it.hasNext(); ) {
          if (it.next().succeeded()) {
            it.remove();
            held++;
          }
        }
      }
      assertThat(s.inUse()).isZero();
    }
  }
}
