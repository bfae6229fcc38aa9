package dev.fetchd.store;

import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Host permits of a single replica. Behind the engine's {@code HostLimiter}, which keeps the same limits by the
 * same clock, it always grants at once; it still keeps the whole contract (counts, delay, leases) so that it
 * can stand in for the shared table anywhere. Answers synchronously, with futures already complete.
 */
public final class MemoryHostPermits implements HostPermits {
  private static final Future<Void> DONE = Future.succeededFuture();

  private final Map<String, Host> hosts = new HashMap<>();
  private long nextSlot;

  private static final class Host {
    /** Slot id to its holder and lease end (nanoTime). */
    final LinkedHashMap<Long, Slot> slots = new LinkedHashMap<>();
    long lastStartNanos;
    boolean started;
  }

  private record Slot(String holder, long expiresNanos) {
  }

  @Override
  public synchronized Future<HostGrant> acquire(String hostKey, int maxInFlight, long delayMs, String holder,
                                                long leaseMs) {
    long now = System.nanoTime();
    Host h = hosts.computeIfAbsent(hostKey, k -> new Host());
    h.slots.values().removeIf(s -> s.expiresNanos - now <= 0);
    if (h.slots.size() >= maxInFlight) {
      return Future.succeededFuture(HostGrant.notNow(-1));
    }
    long waitNanos = h.started ? h.lastStartNanos + delayMs * 1_000_000 - now : 0;
    if (waitNanos > 0) {
      return Future.succeededFuture(HostGrant.notNow((waitNanos + 999_999) / 1_000_000));
    }
    long slot = ++nextSlot;
    h.slots.put(slot, new Slot(holder, now + leaseMs * 1_000_000));
    h.lastStartNanos = now;
    h.started = true;
    return Future.succeededFuture(HostGrant.granted(slot));
  }

  @Override
  public synchronized Future<Void> release(String hostKey, long slot) {
    Host h = hosts.get(hostKey);
    if (h != null) {
      h.slots.remove(slot);
    }
    return DONE;
  }

  @Override
  public synchronized Future<Integer> renew(String holder, long leaseMs) {
    long now = System.nanoTime();
    int n = 0;
    for (Host h : hosts.values()) {
      for (Map.Entry<Long, Slot> e : h.slots.entrySet()) {
        Slot s = e.getValue();
        if (s.holder.equals(holder) && s.expiresNanos - now > 0) {
          e.setValue(new Slot(holder, now + leaseMs * 1_000_000));
          n++;
        }
      }
    }
    return Future.succeededFuture(n);
  }

  @Override
  public synchronized Future<Integer> sweep(long idleMs) {
    long now = System.nanoTime();
    int n = 0;
    for (Iterator<Host> it = hosts.values().iterator(); it.hasNext(); ) {
      Host h = it.next();
      h.slots.values().removeIf(s -> s.expiresNanos - now <= 0);
      if (h.slots.isEmpty() && (!h.started || now - h.lastStartNanos > idleMs * 1_000_000)) {
        it.remove();
        n++;
      }
    }
    return Future.succeededFuture(n);
  }
}
