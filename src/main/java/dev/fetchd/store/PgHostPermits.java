package dev.fetchd.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * Host permits shared by every replica on one PostgreSQL (tables and function of migration V2): one round trip
 * per grant ({@code fetchd_host_acquire}, which locks the host, counts its live slots and checks its delay by
 * the database clock) and one per release. Slots of a replica that stops renewing expire with their lease.
 */
public final class PgHostPermits implements HostPermits {
  private static final String ACQUIRE = "SELECT slot, retry_ms, others_wait FROM fetchd_host_acquire($1, $2, $3, $4, $5)";
  private static final String RELEASE = "DELETE FROM fetchd_host_slots WHERE id = $1";
  private static final String RENEW = "UPDATE fetchd_host_slots"
      + " SET expires_at = clock_timestamp() + $2::bigint * interval '1 millisecond'"
      + " WHERE holder = $1 AND id = ANY($3::bigint[]) AND expires_at > clock_timestamp()";
  private static final String SWEEP_SLOTS = "WITH w AS (DELETE FROM fetchd_host_waiters"
      + " WHERE seen < clock_timestamp() - interval '1 second')"
      + " DELETE FROM fetchd_host_slots WHERE expires_at <= clock_timestamp()";
  // a host row only matters for its delay; one idle for longer than any delay can be forgotten
  private static final String SWEEP_HOSTS = "DELETE FROM fetchd_hosts h"
      + " WHERE last_start < clock_timestamp() - $1::bigint * interval '1 millisecond'"
      + " AND NOT EXISTS (SELECT 1 FROM fetchd_host_slots s WHERE s.host = h.host)";

  private final Pool pool;

  /** Permits in the tables that {@code pool}'s connections see (their search path). */
  public PgHostPermits(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<HostGrant> acquire(String hostKey, int maxInFlight, long delayMs, String holder, long leaseMs) {
    return pool.preparedQuery(ACQUIRE).execute(Tuple.of(hostKey, maxInFlight, delayMs, holder, leaseMs)).map(rows -> {
      Row r = rows.iterator().next();
      Long slot = r.getLong("slot");
      return slot != null ? HostGrant.granted(slot, r.getBoolean("others_wait")) : HostGrant.notNow(r.getLong("retry_ms"));
    });
  }

  @Override
  public Future<Void> release(String hostKey, long slot) {
    return pool.preparedQuery(RELEASE).execute(Tuple.of(slot)).mapEmpty();
  }

  @Override
  public Future<Integer> renew(String holder, List<Long> slots, long leaseMs) {
    return pool.preparedQuery(RENEW).execute(Tuple.of(holder, leaseMs, slots.toArray(new Long[0])))
        .map(rows -> rows.rowCount());
  }

  @Override
  public Future<Integer> sweep(long idleMs) {
    return pool.query(SWEEP_SLOTS).execute()
        .compose(v -> pool.preparedQuery(SWEEP_HOSTS).execute(Tuple.of(idleMs)))
        .map(rows -> rows.rowCount());
  }
}
