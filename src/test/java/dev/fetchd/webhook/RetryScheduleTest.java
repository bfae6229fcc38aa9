package dev.fetchd.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RetryScheduleTest {

  @Test
  void sevenRetriesOverAboutADayWithJitterThenNone() {
    RetrySchedule s = new RetrySchedule(5_000);
    long[] nominal = {5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000};
    long total = 0;
    for (int attempt = 1; attempt <= 7; attempt++) {
      for (int i = 0; i < 50; i++) {
        long d = s.delayAfter(attempt);
        assertThat(d).as("after attempt " + attempt).isBetween(nominal[attempt - 1] * 4 / 5, nominal[attempt - 1] * 6 / 5);
      }
      total += nominal[attempt - 1];
    }
    assertThat(s.delayAfter(8)).isEqualTo(-1);
    assertThat(s.maxAttempts()).isEqualTo(8);
    assertThat(total).isBetween(86_400_000L, 2 * 86_400_000L);
  }

  @Test
  void theBaseScalesTheWholeSchedule() {
    RetrySchedule fast = new RetrySchedule(10);
    assertThat(fast.delayAfter(1)).isBetween(8L, 12L);
    assertThat(fast.delayAfter(2)).isBetween(480L, 720L);
  }
}
