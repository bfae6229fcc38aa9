package dev.fetchd.store;

import io.vertx.core.Future;
import java.util.List;

/**
 * Per-host politeness for the whole cluster: how many requests all replicas together may have in flight to
 * one host, and the pause between the starts of two of them. A replica asks here after its own
 * {@code HostLimiter} granted a local slot, so its local waiters never reach this table.
 *
 * <p>A grant is a slot with a lease: it counts against the host until it is released or its lease runs out
 * without renewal, so a replica that dies never holds a host's permits for longer than a lease. The delay is
 * measured from the start of the previous grant to the host, by the clock of whoever keeps the table (the
 * database's with PostgreSQL), so the replicas' clocks do not matter.
 */
public interface HostPermits {

  /**
   * Takes a slot of {@code hostKey} for {@code holder} if fewer than {@code maxInFlight} slots are held there,
   * at least {@code delayMs} passed since the last grant to it, and no other holder refused it has waited
   * longer (holders take turns: a refused holder is remembered while it keeps asking, at least once a
   * second); otherwise says when to ask again.
   */
  Future<HostGrant> acquire(String hostKey, int maxInFlight, long delayMs, String holder, long leaseMs);

  /** Gives a granted slot back. Releasing a slot that expired or was released already does nothing. */
  Future<Void> release(String hostKey, long slot);

  /**
   * Extends to {@code leaseMs} from now the leases of those of {@code slots} that {@code holder} still holds
   * unexpired; how many. Only slots named are renewed: one whose release failed simply expires.
   */
  Future<Integer> renew(String holder, List<Long> slots, long leaseMs);

  /** Forgets expired slots and hosts without a slot and without a grant for {@code idleMs}; how many hosts. */
  Future<Integer> sweep(long idleMs);

  /**
   * The answer to {@link #acquire}: a slot ({@code slot > 0}), or none and when to ask again:
   * {@code retryInMs} is the rest of the host's delay, or -1 when there is no telling (the host is full, or
   * another holder that has waited longer goes first). {@code othersWait}: another holder was refused this
   * host lately, so a slot should go back soon rather than be kept for more requests.
   */
  record HostGrant(long slot, long retryInMs, boolean othersWait) {
    public static HostGrant granted(long slot, boolean othersWait) {
      return new HostGrant(slot, 0, othersWait);
    }

    public static HostGrant notNow(long retryInMs) {
      return new HostGrant(0, retryInMs, false);
    }

    public boolean granted() {
      return slot > 0;
    }
  }
}
