package dev.fetchd.engine;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * A counting semaphore for one event loop: {@link #acquire()} never blocks, it returns a future that
 * completes when a permit is granted. Waiters are served first in, first out.
 *
 * <p>Confined to one thread (the engine's event loop): no locks, and callers must not share it across
 * threads. Invariants: {@code 0 <= inUse() <= limit()}; a waiter cancelled with {@link #cancel} leaves the
 * queue and never receives a permit; a permit is only given back by the holder, once.
 */
public final class AsyncSemaphore {
  private final int limit;
  private int inUse;
  // insertion order is FIFO; keyed by the future handed out, so a cancel finds its waiter in O(1)
  // (a job cancel may drop thousands of waiters)
  private final LinkedHashMap<Future<Void>, Promise<Void>> waiters = new LinkedHashMap<>();

  public AsyncSemaphore(int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1: " + limit);
    }
    this.limit = limit;
  }

  /** A future that completes when the caller holds one permit, at once when one is free and nobody waits. */
  public Future<Void> acquire() {
    if (inUse < limit && waiters.isEmpty()) {
      inUse++;
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiters.put(p.future(), p);
    return p.future();
  }

  /** Takes a permit only if one is free now and nobody waits for it. */
  public boolean tryAcquire() {
    if (inUse < limit && waiters.isEmpty()) {
      inUse++;
      return true;
    }
    return false;
  }

  /**
   * Withdraws a waiting acquire: the waiter leaves the queue and its future fails with a
   * {@link CancellationException}. Returns false if the future was not waiting (already granted: the caller
   * then holds a permit and must {@link #release()} it).
   */
  public boolean cancel(Future<Void> waiter) {
    Promise<Void> p = waiters.remove(waiter);
    if (p == null) {
      return false;
    }
    p.fail(new CancellationException("permit wait cancelled"));
    return true;
  }

  /** Gives one permit back and hands it to the oldest waiter, if any. */
  public void release() {
    if (inUse <= 0) {
      throw new IllegalStateException("release without a permit held");
    }
    Iterator<Map.Entry<Future<Void>, Promise<Void>>> it = waiters.entrySet().iterator();
    if (it.hasNext()) {
      Promise<Void> next = it.next().getValue();
      it.remove();
      // the permit passes straight to the waiter: inUse does not change
      next.complete();
    } else {
      inUse--;
    }
  }

  public int limit() {
    return limit;
  }

  public int inUse() {
    return inUse;
  }

  public int available() {
    return limit - inUse;
  }

  public int waiters() {
    return waiters.size();
  }
}
