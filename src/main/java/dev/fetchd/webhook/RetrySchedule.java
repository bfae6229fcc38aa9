package dev.fetchd.webhook;

import java.util.concurrent.ThreadLocalRandom;

/**
 * When a failed delivery is tried again: after 1, 60, 360, 1440, 3600, 7200 and 7200 times the base (with the
 * default base of 5 s: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, about a day in all, as the Standard Webhooks
 * guidance suggests), each with up to a fifth of jitter either way so that many deliveries failing together do
 * not come back together. Eight attempts in all; then the delivery has failed.
 */
final class RetrySchedule {
  private static final long[] STEPS = {1, 60, 360, 1440, 3600, 7200, 7200};

  private final long baseMs;

  RetrySchedule(long baseMs) {
    this.baseMs = baseMs;
  }

  /** Most attempts of one delivery. */
  int maxAttempts() {
    return STEPS.length + 1;
  }

  /** The wait before the next attempt after {@code attempts} failed ones, or -1 when no attempt is left. */
  long delayAfter(int attempts) {
    if (attempts < 1 || attempts > STEPS.length) {
      return -1;
    }
    long step = baseMs * STEPS[attempts - 1];
    long jitter = step / 5;
    return Math.max(1, step - jitter + ThreadLocalRandom.current().nextLong(2 * jitter + 1));
  }
}
