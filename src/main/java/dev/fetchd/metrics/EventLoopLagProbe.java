package dev.fetchd.metrics;

import io.vertx.core.Vertx;

/**
 * Measures how late the event loop runs a timer: a loop blocked or overloaded by 50 ms shows 0.05 s.
 * Ticks every 100 ms on the caller's event loop; reports the worst lag of the last second so a scrape
 * every 15 s still sees a spike.
 */
public final class EventLoopLagProbe {
  private static final long TICK_MS = 100;
  private static final int WINDOW = 10;

  private final Vertx vertx;
  private final long[] recent = new long[WINDOW];
  private int slot;
  private long expectedAt;
  private long timer = -1;

  public EventLoopLagProbe(Vertx vertx) {
    this.vertx = vertx;
  }

  public void start() {
    expectedAt = System.nanoTime() + TICK_MS * 1_000_000;
    timer = vertx.setPeriodic(TICK_MS, id -> {
      long now = System.nanoTime();
      recent[slot] = Math.max(0, now - expectedAt);
      slot = (slot + 1) % WINDOW;
      expectedAt = now + TICK_MS * 1_000_000;
    });
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** Worst lag of the last second, in seconds. */
  public double lagSeconds() {
    long max = 0;
    for (long l : recent) {
      max = Math.max(max, l);
    }
    return max / 1e9;
  }
}
