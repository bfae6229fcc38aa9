package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import org.junit.jupiter.api.Test;

class ParseBudgetTest {

  @Test
  void aWaiterWaitsUntilAReleaseMakesRoomAndThenTakesItsBytes() {
    ParseBudget budget = new ParseBudget(100);
    Future<Long> first = budget.acquire(70);
    assertThat(first.succeeded()).isTrue();
    assertThat(first.result()).isEqualTo(70);

    Future<Long> second = budget.acquire(50);
    assertThat(second.isComplete()).as("70 + 50 is over the budget: it waits").isFalse();
    assertThat(budget.waiters()).isEqualTo(1);
    assertThat(budget.inUse()).isEqualTo(70);

    budget.release(70);
    assertThat(second.succeeded()).as("the release woke it").isTrue();
    assertThat(second.result()).isEqualTo(50);
    assertThat(budget.waiters()).isZero();
    assertThat(budget.inUse()).isEqualTo(50);
    budget.release(50);
    assertThat(budget.inUse()).isZero();
  }

  @Test
  void waitersAreServedInOrderAndASmallOneDoesNotOvertakeALargeOne() {
    ParseBudget budget = new ParseBudget(100);
    budget.acquire(60);
    Future<Long> large = budget.acquire(90);
    Future<Long> small = budget.acquire(10);
    assertThat(small.isComplete()).as("10 would fit, but the large page came first").isFalse();

    budget.release(60);
    assertThat(large.succeeded()).isTrue();
    assertThat(small.isComplete()).isTrue();
    assertThat(budget.inUse()).isEqualTo(100);
  }

  @Test
  void oneReleaseWakesEveryWaiterThatFits() {
    ParseBudget budget = new ParseBudget(100);
    budget.acquire(100);
    Future<Long> a = budget.acquire(30);
    Future<Long> b = budget.acquire(30);
    Future<Long> c = budget.acquire(50);
    budget.release(100);
    assertThat(a.succeeded()).isTrue();
    assertThat(b.succeeded()).isTrue();
    assertThat(c.isComplete()).isFalse();
    assertThat(budget.waiters()).isEqualTo(1);
  }

  @Test
  void aRequestLargerThanTheBudgetIsClampedAndRunsAlone() {
    ParseBudget budget = new ParseBudget(100);
    Future<Long> small = budget.acquire(10);
    Future<Long> huge = budget.acquire(1_000);
    assertThat(huge.isComplete()).isFalse();
    budget.release(small.result());
    assertThat(huge.result()).isEqualTo(100);
    assertThat(budget.inUse()).isEqualTo(100);
    budget.release(huge.result());
    assertThat(budget.inUse()).isZero();
  }

  @Test
  void releasingMoreThanIsHeldIsABug() {
    ParseBudget budget = new ParseBudget(100);
    budget.acquire(10);
    assertThatThrownBy(() -> budget.release(11)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new ParseBudget(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
