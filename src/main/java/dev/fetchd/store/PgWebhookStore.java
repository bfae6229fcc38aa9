package dev.fetchd.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * Deliveries in PostgreSQL ({@code fetchd_webhook_deliveries}, migration V3), shared by every replica. A claim
 * takes due rows with {@code FOR UPDATE SKIP LOCKED}, so concurrent claims never return the same row, and moves
 * them a lease ahead; every time is the database's.
 */
final class PgWebhookStore implements WebhookStore {
  private static final String COLUMNS = "id, seq, job_id, event, url, secret, body, status, attempts, last_status,"
      + " last_error, next_attempt_at, created_at, updated_at";

  private static final String INSERT = "INSERT INTO fetchd_webhook_deliveries (id, job_id, event, url, secret, body,"
      + " status, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', now()) ON CONFLICT (id) DO NOTHING";
  private static final String CLAIM = "WITH due AS (SELECT id FROM fetchd_webhook_deliveries"
      + " WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1"
      + " FOR UPDATE SKIP LOCKED)"
      + " UPDATE fetchd_webhook_deliveries d SET attempts = d.attempts + 1,"
      + " next_attempt_at = now() + $2 * interval '1 millisecond', updated_at = now()"
      + " FROM due WHERE d.id = due.id RETURNING " + prefixed();
  // a delivery that is done keeps what it got, not its body nor its secret: nothing will send it again
  private static final String ATTEMPTED = "UPDATE fetchd_webhook_deliveries SET status = $3, last_status = $4,"
      + " last_error = $5, next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + $6 * interval '1 millisecond' END,"
      + " body = CASE WHEN $3 = 'pending' THEN body ELSE '' END,"
      + " secret = CASE WHEN $3 = 'pending' THEN secret ELSE '' END,"
      + " updated_at = now() WHERE id = $1 AND attempts = $2 AND status = 'pending'";
  private static final String LIST = "SELECT " + COLUMNS + " FROM fetchd_webhook_deliveries"
      + " WHERE job_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";

  private final Pool pool;

  /** Seals delivery secrets at rest when the store has a key (secrets.key); null without one. */
  private final java.util.function.Supplier<SecretBox> secrets;

  PgWebhookStore(Pool pool, java.util.function.Supplier<SecretBox> secrets) {
    this.secrets = secrets;
    this.pool = pool;
  }

  @Override
  public Future<Void> addDelivery(Delivery d) {
    return pool.preparedQuery(INSERT)
        .execute(Tuple.of(d.id(), d.jobId(), d.event(), PgCodec.safe(d.url()), seal(d.secret(), d.jobId()),
            PgCodec.safe(d.body())))
        .mapEmpty();
  }

  @Override
  public Future<List<Delivery>> claimDue(int max, long leaseMs) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(max, leaseMs)).map(rows -> {
      List<Delivery> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(delivery(r)));
      out.sort(java.util.Comparator.comparing(Delivery::createdAt));
      return out;
    });
  }

  @Override
  public Future<Boolean> attempted(Attempt a) {
    return pool.preparedQuery(ATTEMPTED)
        .execute(Tuple.of(a.id(), a.attempt(), a.status().wire(), a.httpStatus(), PgCodec.safe(a.error()),
            Math.max(0, a.retryInMs())))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Page<Delivery>> deliveries(String jobId, int limit, String cursor) {
    long after;
    try {
      after = WebhookStore.after(cursor);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return pool.preparedQuery(LIST).execute(Tuple.of(jobId, after, limit + 1)).map(rows -> page(rows, limit));
  }

  private Page<Delivery> page(RowSet<Row> rows, int limit) {
    List<Delivery> out = new ArrayList<>();
    long last = 0;
    String next = null;
    for (Row r : rows) {
      if (out.size() == limit) {
        next = Cursors.encode(WebhookStore.CURSOR, last);
        break;
      }
      out.add(delivery(r));
      last = r.getLong("seq");
    }
    return new Page<>(out, next);
  }

  @Override
  public Future<Void> deleteDeliveries(String jobId) {
    return pool.preparedQuery("DELETE FROM fetchd_webhook_deliveries WHERE job_id = $1").execute(Tuple.of(jobId))
        .mapEmpty();
  }

  private Delivery delivery(Row r) {
    return new Delivery(r.getString("id"), r.getString("job_id"), r.getString("event"), r.getString("url"),
        PgCodec.openIfSealed(r.getString("secret"), r.getString("job_id"), secrets.get()), r.getString("body"),
        Status.fromWire(r.getString("status")), r.getInteger("attempts"),
        r.getInteger("last_status"), r.getString("last_error"), PgCodec.instant(r.getOffsetDateTime("next_attempt_at")),
        PgCodec.instant(r.getOffsetDateTime("created_at")), PgCodec.instant(r.getOffsetDateTime("updated_at")));
  }

  private static String prefixed() {
    StringBuilder sb = new StringBuilder();
    for (String c : COLUMNS.split(",")) {
      sb.append(sb.length() > 0 ? ", " : "").append("d.").append(c.trim());
    }
    return sb.toString();
  }

  private String seal(String secret, String jobId) {
    SecretBox box = secrets.get();
    // one still sealed (this replica's key did not open it) is kept as it is, for a replica with that key to open;
    // sealed again, it would open with no key at all
    return box == null || secret == null || secret.isEmpty() || secret.startsWith(SecretBox.PREFIX) ? secret
        : box.seal(secret, jobId);
  }
}
