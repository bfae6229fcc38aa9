package dev.fetchd.engine;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;

/**
 * Per-host politeness shared by every job of this service: how many requests may be in flight to one host,
 * and the pause between the starts of two requests to it.
 *
 * <p>Each waiter brings its own job's limits: it is granted when the host has fewer requests in flight than
 * its {@code maxInFlight} and at least {@code delayMs} passed since the last request to the host started.
 * So a job asking for one connection to a host never sends while anyone else has one open there. Waiters
 * are served in arrival order, except that one that cannot go yet does not hold back later waiters whose
 * limits allow them. Confined to the engine's event loop, like {@link AsyncSemaphore}.
 */
public final class HostLimiter {
  private static final long IDLE_EVICT_MS = 120_000;

  private final Vertx vertx;
  private final Map<String, Host> hosts = new HashMap<>();
  private int waiting;

  public HostLimiter(Vertx vertx) {
    this.vertx = vertx;
  }

  /** A future that completes when the caller may start one request to {@code host}. */
  public Future<Void> acquire(String host, int maxInFlight, long delayMs) {
    Host h = hosts.computeIfAbsent(host, k -> new Host());
    long now = nowMs();
    if (h.waiters.isEmpty() && h.inFlight < maxInFlight && now >= h.lastStartMs + delayMs) {
      h.start(now);
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    h.waiters.put(p.future(), new Waiter(p, maxInFlight, delayMs));
    waiting++;
    drain(h);
    return p.future();
  }

  /** Withdraws a waiting acquire; false if it was not waiting (then the caller holds a slot to release). */
  public boolean cancel(String host, Future<Void> waiter) {
    Host h = hosts.get(host);
    Waiter w = h == null ? null : h.waiters.remove(waiter);
    if (w == null) {
      return false;
    }
    waiting--;
    w.promise.fail(new CancellationException("host slot wait cancelled"));
    return true;
  }

  /** Gives back a slot taken with {@link #acquire}. */
  public void release(String host) {
    Host h = hosts.get(host);
    if (h == null || h.inFlight <= 0) {
      throw new IllegalStateException("release without a slot held for " + host);
    }
    h.inFlight--;
    drain(h);
  }

  /** Forgets hosts idle for a while, so a crawl over a million hosts does not keep a million entries. */
  public void evictIdle() {
    long now = nowMs();
    hosts.values().removeIf(h -> h.inFlight == 0 && h.waiters.isEmpty() && h.timer < 0
        && now - h.lastStartMs > IDLE_EVICT_MS);
  }

  public int waiters() {
    return waiting;
  }

  public int inFlight(String host) {
    Host h = hosts.get(host);
    return h == null ? 0 : h.inFlight;
  }

  public int hostsTracked() {
    return hosts.size();
  }

  private void drain(Host h) {
    long now = nowMs();
    long wakeAt = Long.MAX_VALUE;
    Iterator<Waiter> it = h.waiters.values().iterator();
    while (it.hasNext()) {
      Waiter w = it.next();
      if (h.inFlight >= w.maxInFlight) {
        continue;
      }
      long eligibleAt = h.lastStartMs + w.delayMs;
      if (now < eligibleAt) {
        wakeAt = Math.min(wakeAt, eligibleAt);
        continue;
      }
      it.remove();
      waiting--;
      h.start(now);
      // completing runs the waiter's continuation now; it may re-enter acquire/release, which is safe
      // because this host's counters are already up to date, but the iterator is not: restart the scan
      w.promise.complete();
      drain(h);
      return;
    }
    if (wakeAt != Long.MAX_VALUE && h.timer < 0) {
      h.timer = vertx.setTimer(Math.max(1, wakeAt - now), id -> {
        h.timer = -1;
        drain(h);
      });
    }
  }

  private static long nowMs() {
    return System.nanoTime() / 1_000_000;
  }

  private record Waiter(Promise<Void> promise, int maxInFlight, long delayMs) {
  }

  private static final class Host {
    final LinkedHashMap<Future<Void>, Waiter> waiters = new LinkedHashMap<>();
    int inFlight;
    long lastStartMs = Long.MIN_VALUE / 2;
    long timer = -1;

    void start(long now) {
      inFlight++;
      lastStartMs = now;
    }
  }
}
