package dev.fetchd.engine;

import dev.fetchd.store.HostPermits;
import dev.fetchd.store.HostPermits.HostGrant;
import dev.fetchd.store.MemoryHostPermits;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-host politeness shared by every job of this service: how many requests may be in flight to one host,
 * and the pause between the starts of two requests to it.
 *
 * <p>Each waiter brings its own job's limits: it is granted when the host has fewer requests in flight than
 * its {@code maxInFlight} and at least {@code delayMs} passed since the last request to the host started.
 * So a job asking for one connection to a host never sends while anyone else has one open there. Waiters
 * are served in arrival order, except that one that cannot go yet does not hold back later waiters whose
 * limits allow them. Confined to the engine's event loop, like {@link AsyncSemaphore}.
 *
 * <p>With several replicas the same limits hold for the whole cluster through {@link HostPermits}: a waiter
 * granted here (the fast path: local waiters queue here and never reach the database) then asks the cluster
 * for a slot, keeping its local one while it waits, and is granted only when both agree. A refused ask is
 * repeated after the rest of the host's delay, or after a short backoff when the host is full elsewhere; a
 * failed one (the database slow or unreachable) too: fetches wait rather than go unchecked. Cluster slots are
 * released with the local ones and renewed while held, so a replica that dies frees them within a lease.
 *
 * <p>A cluster slot that took a round trip and is given back while its host is busy here is first offered,
 * until the end of the event loop's turn, to the next request to the host with the same limits and no delay
 * (the item that takes the job permit just freed asks in that same turn): the slot passes on without two
 * round trips, and the count in the cluster never changes by it. It passes on only for {@value #PASS_MS} ms
 * after its grant, and not at all when another replica waited for the host then, so that replicas take turns.
 */
public final class HostLimiter {
  private static final Logger log = LoggerFactory.getLogger(HostLimiter.class);
  private static final long IDLE_EVICT_MS = 120_000;
  /** Lease of a cluster slot; renewed every third of it while held. Bounds what a dead replica holds. */
  static final long CLUSTER_LEASE_MS = 30_000;
  /** Hosts without a grant for this long are dropped from the cluster table: longer than any delay. */
  private static final long CLUSTER_IDLE_MS = 3_600_000;
  private static final long RETRY_MIN_MS = 10;
  private static final long RETRY_MAX_MS = 250;
  /** How long after its grant a cluster slot may pass from one request to the next without asking again. */
  static final long PASS_MS = 1_000;
  private static final long FAILURE_RETRY_MAX_MS = 2_000;
  private static final long FAILURE_LOG_EVERY_MS = 30_000;

  private final Vertx vertx;
  private final Map<String, Host> hosts = new HashMap<>();
  /** Waiters granted here that wait for the cluster, keyed by the future handed out (for cancel). */
  private final Map<Future<Void>, Waiter> clusterWaits = new HashMap<>();
  private HostPermits cluster = new MemoryHostPermits();
  private String holder = "local-" + UUID.randomUUID();
  private int waiting;
  private int clusterSlots;
  private long renewTimer = -1;
  private long failingSinceMs = -1;
  private long lastFailureLogMs = Long.MIN_VALUE / 2;

  public HostLimiter(Vertx vertx) {
    this.vertx = vertx;
  }

  /**
   * Where the cluster's host slots are kept ({@link MemoryHostPermits} by default: this replica is the
   * cluster), and this replica's name there ({@code null}: a random one).
   */
  public void cluster(HostPermits permits, String holder) {
    this.cluster = permits;
    if (holder != null) {
      this.holder = holder;
    }
  }

  /** A future that completes when the caller may start one request to {@code host}. */
  public Future<Void> acquire(String host, int maxInFlight, long delayMs) {
    Host h = hosts.computeIfAbsent(host, Host::new);
    long now = nowMs();
    if (h.waiters.isEmpty() && h.inFlight < maxInFlight && now >= h.lastStartMs + delayMs) {
      h.start(now);
      if (takeSpare(h, maxInFlight, delayMs)) {
        return Future.succeededFuture();
      }
      Future<HostGrant> asked = cluster.acquire(host, maxInFlight, delayMs, holder, CLUSTER_LEASE_MS);
      if (asked.succeeded() && asked.result().granted()) {
        // answered at once (in memory): no round trip to save by passing the slot on later
        held(h, new Held(asked.result().slot(), maxInFlight, 0));
        return Future.succeededFuture();
      }
      Waiter w = new Waiter(h, Promise.promise(), maxInFlight, delayMs);
      clusterWaits.put(w.promise.future(), w);
      whenAnswered(w, asked);
      return w.promise.future();
    }
    Waiter w = new Waiter(h, Promise.promise(), maxInFlight, delayMs);
    h.waiters.put(w.promise.future(), w);
    waiting++;
    if (h.inFlight < maxInFlight) {
      // nothing else changed since the last drain: only this waiter might go. A waiter that cannot (the host
      // is full for it) skips the scan, so a thousand waiters queue in linear time, not quadratic
      drain(h);
    }
    return w.promise.future();
  }

  /** Withdraws a waiting acquire; false if it was not waiting (then the caller holds a slot to release). */
  public boolean cancel(String host, Future<Void> waiter) {
    Host h = hosts.get(host);
    Waiter w = h == null ? null : h.waiters.remove(waiter);
    if (w != null) {
      waiting--;
      w.promise.fail(new CancellationException("host slot wait cancelled"));
      return true;
    }
    w = clusterWaits.remove(waiter);
    if (w == null) {
      return false;
    }
    // granted here, still waiting for the cluster: give the local slot back; a cluster grant that is on its
    // way is given back when it arrives
    w.cancelled = true;
    if (w.timer >= 0) {
      vertx.cancelTimer(w.timer);
      w.timer = -1;
    }
    w.host.inFlight--;
    w.promise.fail(new CancellationException("host slot wait cancelled"));
    drain(w.host);
    return true;
  }

  /** Gives back a slot taken with {@link #acquire}, here and in the cluster. */
  public void release(String host) {
    Host h = hosts.get(host);
    if (h == null || h.inFlight <= 0) {
      throw new IllegalStateException("release without a slot held for " + host);
    }
    // the oldest cluster slot goes: the ones left are the newest, so each request still in flight is covered
    // by a slot granted no earlier than it started
    Held slot = h.slots.poll();
    h.inFlight--;
    if (slot != null) {
      if (slot.passable() && h.spare == null) {
        offer(h, slot);
      } else {
        clusterSlots--;
        releaseCluster(host, slot.slot());
      }
    }
    drain(h);
  }

  /** Keeps a released cluster slot for the rest of this turn of the event loop; then gives it back. */
  private void offer(Host h, Held slot) {
    h.spare = slot;
    vertx.runOnContext(v -> {
      if (h.spare == slot) {
        h.spare = null;
        clusterSlots--;
        releaseCluster(h.key, slot.slot());
      }
    });
  }

  /** Takes the host's spare cluster slot if it was granted with these limits and no delay. */
  private boolean takeSpare(Host h, int maxInFlight, long delayMs) {
    Held spare = h.spare;
    if (spare == null || delayMs != 0 || spare.maxInFlight() != maxInFlight || !spare.passable()) {
      return false;
    }
    h.spare = null;
    h.slots.add(spare);
    return true;
  }

  /** Forgets hosts idle for a while, so a crawl over a million hosts does not keep a million entries. */
  public void evictIdle() {
    long now = nowMs();
    hosts.values().removeIf(h -> h.inFlight == 0 && h.waiters.isEmpty() && h.timer < 0 && h.spare == null
        && now - h.lastStartMs > IDLE_EVICT_MS);
    cluster.sweep(CLUSTER_IDLE_MS).onFailure(err -> log.debug("sweep of cluster host permits failed: {}", err.toString()));
  }

  /** Fetches waiting for a local slot. */
  public int waiters() {
    return waiting;
  }

  /** Fetches holding a local slot while they wait for the cluster's (asked, or refused and asking again). */
  public int clusterWaiters() {
    return clusterWaits.size();
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
      // completing (or asking, which may complete) runs the waiter's continuation now; it may re-enter
      // acquire/release, which is safe because this host's counters are already up to date, but the iterator
      // is not: restart the scan
      if (takeSpare(h, w.maxInFlight, w.delayMs)) {
        w.promise.complete();
      } else {
        clusterWaits.put(w.promise.future(), w);
        askCluster(w);
      }
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

  private void askCluster(Waiter w) {
    whenAnswered(w, cluster.acquire(w.host.key, w.maxInFlight, w.delayMs, holder, CLUSTER_LEASE_MS));
  }

  private void whenAnswered(Waiter w, Future<HostGrant> asked) {
    if (asked.isComplete()) {
      answered(w, asked, false);
    } else {
      asked.onComplete(ar -> answered(w, ar, true));
    }
  }

  private void answered(Waiter w, AsyncResult<HostGrant> ar, boolean roundTrip) {
    boolean granted = ar.succeeded() && ar.result().granted();
    if (w.cancelled) {
      if (granted) {
        releaseCluster(w.host.key, ar.result().slot());
      }
      return;
    }
    if (granted) {
      clusterWaits.remove(w.promise.future());
      HostGrant g = ar.result();
      held(w.host, new Held(g.slot(), w.maxInFlight,
          roundTrip && w.delayMs == 0 && !g.othersWait() ? nowMs() + PASS_MS : 0));
      clusterRecovered();
      w.promise.complete();
      return;
    }
    long wait;
    if (ar.failed()) {
      clusterFailed(ar.cause());
      wait = backoff(w, FAILURE_RETRY_MAX_MS);
    } else {
      clusterRecovered();
      long hint = ar.result().retryInMs();
      wait = hint >= 0 ? hint + 1 : backoff(w, RETRY_MAX_MS);
    }
    w.timer = vertx.setTimer(Math.max(1, wait), id -> {
      w.timer = -1;
      askCluster(w);
    });
  }

  /** Exponential with jitter (between half and the whole step), so that refused replicas do not ask in step. */
  private static long backoff(Waiter w, long max) {
    long step = Math.min(max, RETRY_MIN_MS << Math.min(16, w.tries++));
    return step / 2 + ThreadLocalRandom.current().nextLong(step / 2 + 1);
  }

  private void held(Host h, Held slot) {
    h.slots.add(slot);
    clusterSlots++;
    if (renewTimer < 0) {
      renewTimer = vertx.setTimer(CLUSTER_LEASE_MS / 3, id -> renew());
    }
  }

  /** While this replica holds cluster slots, their leases are extended; the timer stops when none is held. */
  private void renew() {
    renewTimer = -1;
    if (clusterSlots == 0) {
      return;
    }
    List<Long> ids = new ArrayList<>(clusterSlots);
    for (Host h : hosts.values()) {
      for (Held s : h.slots) {
        ids.add(s.slot());
      }
      if (h.spare != null) {
        ids.add(h.spare.slot());
      }
    }
    cluster.renew(holder, ids, CLUSTER_LEASE_MS).onFailure(err -> clusterFailed(err));
    renewTimer = vertx.setTimer(CLUSTER_LEASE_MS / 3, id -> renew());
  }

  private void releaseCluster(String host, long slot) {
    Future<Void> f = cluster.release(host, slot);
    if (!f.isComplete() || f.failed()) {
      // not retried: the slot is no longer renewed, so its lease runs out
      f.onFailure(err -> clusterFailed(err));
    }
  }

  private void clusterFailed(Throwable err) {
    long now = nowMs();
    if (failingSinceMs < 0) {
      failingSinceMs = now;
    }
    if (now - lastFailureLogMs >= FAILURE_LOG_EVERY_MS) {
      lastFailureLogMs = now;
      log.warn("cluster host permits unavailable ({}); fetches wait for them: {} waiting", err.toString(),
          clusterWaits.size());
    }
  }

  private void clusterRecovered() {
    if (failingSinceMs >= 0) {
      log.info("cluster host permits available again after {} ms", nowMs() - failingSinceMs);
      failingSinceMs = -1;
      lastFailureLogMs = Long.MIN_VALUE / 2;
    }
  }

  private static long nowMs() {
    return System.nanoTime() / 1_000_000;
  }

  /**
   * A cluster slot held here, with the limit it was granted under and until when it may pass on (see above;
   * 0: never, as when it was granted with a delay, at once, or while another replica waited).
   */
  private record Held(long slot, int maxInFlight, long passUntilMs) {
    boolean passable() {
      return passUntilMs != 0 && nowMs() < passUntilMs;
    }
  }

  private static final class Waiter {
    final Host host;
    final Promise<Void> promise;
    final int maxInFlight;
    final long delayMs;
    /** Cluster stage: the retry timer, how many refusals so far, withdrawn meanwhile. */
    long timer = -1;
    int tries;
    boolean cancelled;

    Waiter(Host host, Promise<Void> promise, int maxInFlight, long delayMs) {
      this.host = host;
      this.promise = promise;
      this.maxInFlight = maxInFlight;
      this.delayMs = delayMs;
    }
  }

  private static final class Host {
    final String key;
    final LinkedHashMap<Future<Void>, Waiter> waiters = new LinkedHashMap<>();
    /** Cluster slots held for this host's requests in flight here, oldest first. */
    final ArrayDeque<Held> slots = new ArrayDeque<>(2);
    /** A cluster slot given back in this turn of the event loop, offered to the next request (see above). */
    Held spare;
    int inFlight;
    long lastStartMs = Long.MIN_VALUE / 2;
    long timer = -1;

    Host(String key) {
      this.key = key;
    }

    void start(long now) {
      inFlight++;
      lastStartMs = now;
    }
  }
}
