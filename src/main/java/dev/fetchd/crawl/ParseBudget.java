package dev.fetchd.crawl;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayDeque;

/**
 * Bytes of heap that page parses may use at once. {@link #acquire} never blocks: it returns a future that
 * completes once the bytes are taken, at once if they are free and nobody waits. Waiters are served first in,
 * first out, so a large page is not starved by a stream of small ones. A request larger than the whole budget
 * is clamped to it: that parse runs alone rather than never.
 *
 * <p>Confined to one thread (the engine's event loop), like the engine's semaphores: no locks. Invariants:
 * {@code 0 <= inUse() <= limit()}; bytes are only given back by their holder, once, with the amount that
 * {@link #acquire} answered.
 */
public final class ParseBudget {
  private final long limit;
  private long inUse;
  private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();

  private record Waiter(long bytes, Promise<Long> promise) {
  }

  public ParseBudget(long limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1 byte: " + limit);
    }
    this.limit = limit;
  }

  /**
   * A future that completes with the bytes taken (the request, at most {@link #limit()}) once they are the
   * caller's; the caller gives exactly that amount back with {@link #release}.
   */
  public Future<Long> acquire(long bytes) {
    long n = Math.max(1, Math.min(bytes, limit));
    if (waiters.isEmpty() && inUse + n <= limit) {
      inUse += n;
      return Future.succeededFuture(n);
    }
    Promise<Long> p = Promise.promise();
    waiters.add(new Waiter(n, p));
    return p.future();
  }

  /** Gives bytes back and wakes the waiters at the head of the line that now fit. */
  public void release(long bytes) {
    if (bytes < 0 || bytes > inUse) {
      throw new IllegalStateException("release of " + bytes + " bytes with " + inUse + " in use");
    }
    inUse -= bytes;
    while (!waiters.isEmpty() && inUse + waiters.peek().bytes <= limit) {
      Waiter w = waiters.poll();
      inUse += w.bytes;
      w.promise.complete(w.bytes);
    }
  }

  public long limit() {
    return limit;
  }

  public long inUse() {
    return inUse;
  }

  public int waiters() {
    return waiters.size();
  }
}
