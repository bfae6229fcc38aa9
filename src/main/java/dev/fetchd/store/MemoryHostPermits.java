package dev.fetchd.store;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Host permits of a single replica. Behind the engine's {@code HostLimiter}, which keeps the same limits by the
 * same clock, it always grants at once; it still keeps the whole contract (counts, delay, leases, turns)
 * so that it can stand in for the shared table anywhere. Answers synchronously, with futures already complete.
 * Confined to the engine's event loop, like the limiter in front of it: no locks.
 */
public final class MemoryHostPermits implements HostPermits {
  private static final Future<Void> DONE = Future.succeededFuture();
  /** A refused holder that has not asked again for this long no longer has a turn. */
  private static final long WAITER_FORGOTTEN_NANOS = 1_000_000_000L;

  private final Map<String, Host> hosts = new HashMap<>();
  private long nextSlot;

  private static final class Host {
    final LinkedHashMap<Long, Slot> slots = new LinkedHashMap<>();
    /** Refused holders: since when they wait, when they last asked. */
    final HashMap<String, long[]> waiters = new HashMap<>();
    /** In whole milliseconds of nanoTime, as the engine's HostLimiter counts, so that the two always agree. */
    long lastStartMs;
    boolean started;

    void expire(long now) {
      // slots are kept in grant order, and a lease is renewed for all of a holder's slots at once, so they expire
      // in that order too: the scan stops at the first live one instead of reading every slot at each acquire (a
      // linear cost per fetch with hundreds in flight on one host). A slot out of order only expires later.
      for (Iterator<Slot> it = slots.values().iterator(); it.hasNext(); ) {
        if (it.next().expiresNanos - now > 0) {
          break;
        }
        it.remove();
      }
      if (!waiters.isEmpty()) {
        waiters.values().removeIf(w -> now - w[1] > WAITER_FORGOTTEN_NANOS);
      }
    }
  }

  private record Slot(String holder, long expiresNanos) {
  }

  @Override
  public Future<HostGrant> acquire(String hostKey, int maxInFlight, long delayMs, String holder,
                                                long leaseMs) {
    long now = System.nanoTime();
    Host h = hosts.computeIfAbsent(hostKey, k -> new Host());
    h.expire(now);
    long nowMs = now / 1_000_000;
    long waitMs = h.started ? h.lastStartMs + delayMs - nowMs : 0;
    long[] mine = h.waiters.get(holder);
    boolean othersWait = false;
    boolean otherFirst = false;
    for (Map.Entry<String, long[]> e : h.waiters.entrySet()) {
      if (!e.getKey().equals(holder)) {
        othersWait = true;
        otherFirst |= mine == null || e.getValue()[0] - mine[0] < 0;
      }
    }
    boolean full = h.slots.size() >= maxInFlight;
    if (full || waitMs > 0 || otherFirst) {
      if (mine == null) {
        h.waiters.put(holder, new long[] {now, now});
      } else {
        mine[1] = now;
      }
      return Future.succeededFuture(HostGrant.notNow(full || waitMs <= 0 ? -1 : waitMs));
    }
    if (mine != null) {
      h.waiters.remove(holder);
    }
    long slot = ++nextSlot;
    h.slots.put(slot, new Slot(holder, now + leaseMs * 1_000_000));
    h.lastStartMs = nowMs;
    h.started = true;
    return Future.succeededFuture(HostGrant.granted(slot, othersWait));
  }

  @Override
  public Future<Void> release(String hostKey, long slot) {
    Host h = hosts.get(hostKey);
    if (h != null) {
      h.slots.remove(slot);
    }
    return DONE;
  }

  @Override
  public Future<Integer> renew(String holder, List<Long> slots, long leaseMs) {
    long now = System.nanoTime();
    Set<Long> named = new HashSet<>(slots);
    int n = 0;
    for (Host h : hosts.values()) {
      for (Map.Entry<Long, Slot> e : h.slots.entrySet()) {
        Slot s = e.getValue();
        if (named.contains(e.getKey()) && s.holder.equals(holder) && s.expiresNanos - now > 0) {
          e.setValue(new Slot(holder, now + leaseMs * 1_000_000));
          n++;
        }
      }
    }
    return Future.succeededFuture(n);
  }

  @Override
  public Future<Integer> sweep(long idleMs) {
    long now = System.nanoTime();
    int n = 0;
    for (Iterator<Host> it = hosts.values().iterator(); it.hasNext(); ) {
      Host h = it.next();
      h.expire(now);
      if (h.slots.isEmpty() && (!h.started || now / 1_000_000 - h.lastStartMs >= idleMs)) {
        it.remove();
        n++;
      }
    }
    return Future.succeededFuture(n);
  }
}
