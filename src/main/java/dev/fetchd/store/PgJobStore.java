package dev.fetchd.store;

import dev.fetchd.job.Item;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobState;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The job store of several replicas: PostgreSQL through the reactive client, so no call blocks the event
 * loop. Items are written in batches (one statement per {@value #CHUNK} items, arrays unnested server-side),
 * so a job of 50,000 URLs is a handful of round trips. Writes that concern one job are applied in the order
 * they were called, even though the pool runs statements on several connections.
 *
 * <p>Read back, a job's {@code spec().urls()} has the submitted count of entries, each
 * {@link #URL_NOT_LOADED}: the URLs themselves are the job's items ({@link #allItems}).
 */
public final class PgJobStore implements JobDriver {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PgJobStore.class);
  /** What a read-back spec holds in place of each URL. */
  public static final String URL_NOT_LOADED = "";

  /** Items per statement: big enough to amortise a round trip, small enough to keep one message modest. */
  static final int CHUNK = 5_000;

  /** How many expired leases one {@link #reclaimExpired} call takes back at most. */
  static final int RECLAIM_BATCH = 100;

  private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final String TERMINAL = "('completed', 'failed', 'cancelled', 'timed_out')";

  private static final String INSERT_JOB = "INSERT INTO fetchd_jobs (id, type, state, priority, labels, spec,"
      + " created_at, started_at, finished_at, error_code, error_message, progress, idempotency_key, request_hash, owner)"
      + " VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15)";
  private static final String INSERT_ITEMS = "INSERT INTO fetchd_items (" + PgCodec.ITEM_COLUMNS + ")"
      + " SELECT u.* FROM " + PgCodec.ITEM_UNNEST;
  // crawl links of a job removed meanwhile are dropped, as the in-memory store does
  private static final String ADD_ITEMS = INSERT_ITEMS
      + " WHERE EXISTS (SELECT 1 FROM fetchd_jobs j WHERE j.id = u.job_id)";
  private static final String ITEM_SET = "state = u.state, final_url = u.final_url, status = u.status,"
      + " content_type = u.content_type, bytes = u.bytes, sha256 = u.sha256, error_code = u.error_code,"
      + " error_message = u.error_message, attempts = u.attempts, duration_ms = u.duration_ms,"
      + " stored_file = u.stored_file, request_head = u.request_head, response_head = u.response_head,"
      + " unchanged = u.unchanged";
  private static final String UPDATE_ITEMS = "UPDATE fetchd_items i SET " + ITEM_SET
      + " FROM " + PgCodec.ITEM_UNNEST + " WHERE i.job_id = u.job_id AND i.idx = u.idx";

  // The fence locks the job row (FOR SHARE) for the statement: a claim or reclaim that changes the holder
  // waits for it, or it waits for them and then sees the new holder and matches nothing.
  private static final String FENCE = "fence AS (SELECT id, attempt FROM fetchd_jobs"
      + " WHERE id = $" + (PgCodec.ITEM_ARRAYS + 1) + " AND claimed_by = $" + (PgCodec.ITEM_ARRAYS + 2)
      + " AND attempt = $" + (PgCodec.ITEM_ARRAYS + 3) + " FOR SHARE)";
  private static final String FENCED_ADD_ITEMS = "WITH " + FENCE + ", ins AS (INSERT INTO fetchd_items ("
      + PgCodec.ITEM_COLUMNS + ", written_attempt) SELECT u.*, fence.attempt FROM " + PgCodec.ITEM_UNNEST
      + " CROSS JOIN fence RETURNING 1) SELECT count(*) AS fenced FROM fence";
  private static final String FENCED_UPDATE_ITEMS = "WITH " + FENCE + ", upd AS (UPDATE fetchd_items i SET "
      + ITEM_SET + ", written_attempt = fence.attempt FROM " + PgCodec.ITEM_UNNEST
      + ", fence WHERE i.job_id = fence.id AND i.idx = u.idx RETURNING 1) SELECT count(*) AS fenced FROM fence";

  // A terminal job never changes state again (one replica's late write cannot undo another's ending).
  private static final String UPDATE_JOB = "UPDATE fetchd_jobs SET " + PgCodec.UPDATE_JOB_SET
      + ", lease_until = CASE WHEN $2 IN " + TERMINAL + " THEN NULL ELSE lease_until END"
      + " WHERE id = $1 AND (state NOT IN " + TERMINAL + " OR state = $2)";
  // state = 'running' also keeps a progress write that arrives after the job's end from reopening it
  // only from running (the state table: running -> running or a terminal state); watchers everywhere hear of it
  private static final String FENCED_UPDATE_JOB = "WITH upd AS (UPDATE fetchd_jobs SET " + PgCodec.UPDATE_JOB_SET
      + ", lease_until = CASE WHEN $2 IN " + TERMINAL + " THEN NULL ELSE lease_until END"
      + " WHERE id = $1 AND claimed_by = $8 AND attempt = $9 AND state = 'running' RETURNING id)"
      + " SELECT pg_notify($10, id) FROM upd";

  private static final String CLAIM = "WITH picked AS (SELECT id FROM fetchd_jobs WHERE state = 'queued'"
      + " ORDER BY priority DESC, seq LIMIT $2 FOR UPDATE SKIP LOCKED)"
      + " UPDATE fetchd_jobs j SET state = 'running', claimed_by = $1, attempt = j.attempt + 1,"
      + " lease_until = now() + $3::bigint * interval '1 millisecond', started_at = now(),"
      + " deadline_at = coalesce(j.deadline_at,"
      + "   now() + (j.spec #>> '{limits,timeoutMs}')::bigint * interval '1 millisecond')"
      + " FROM picked WHERE j.id = picked.id RETURNING " + prefixed("j.", PgCodec.JOB_COLUMNS);
  private static final String RENEW = "UPDATE fetchd_jobs SET lease_until = now() + $3::bigint * interval '1 millisecond'"
      + " WHERE claimed_by = $1 AND id = ANY($2::text[]) AND state = 'running' RETURNING id, cancel_code, cancel_message";
  private static final String RELEASE = "SELECT id FROM fetchd_jobs"
      + " WHERE id = $1 AND claimed_by = $2 AND attempt = $3 AND state = 'running' FOR UPDATE";
  private static final String EXPIRED = "SELECT id, attempt FROM fetchd_jobs WHERE state = 'running'"
      + " AND lease_until < now() ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED";

  // Settling a job that leaves its replica (released, lease expired, or cancelled while queued): back to the
  // queue; cancelled if a cancel was asked for; failed if it was claimed too often ($2: those ids). Only from
  // queued or running, as the state table allows. The deadline stays; items that were running are queued
  // again, or cancelled with the job when it ends.
  private static final String SETTLE_JOBS = "WITH s AS (SELECT id, state AS from_state,"
      + "   CASE WHEN cancel_code IS NOT NULL THEN 'cancelled' WHEN id = ANY($2::text[]) THEN 'failed'"
      + "   ELSE 'queued' END AS to_state FROM fetchd_jobs"
      + "   WHERE id = ANY($1::text[]) AND state IN ('queued', 'running') FOR UPDATE)"
      + " UPDATE fetchd_jobs j SET state = s.to_state, claimed_by = NULL, lease_until = NULL,"
      + " started_at = CASE WHEN s.to_state = 'queued' THEN NULL ELSE j.started_at END,"
      + " finished_at = CASE WHEN s.to_state = 'queued' THEN NULL ELSE now() END,"
      + " error_code = CASE WHEN s.to_state = 'failed' THEN 'attempts_exhausted' ELSE j.cancel_code END,"
      + " error_message = CASE WHEN s.to_state = 'failed' THEN 'the job was claimed ' || j.attempt"
      + "   || ' times and never finished: its replica stopped each time' ELSE j.cancel_message END"
      + " FROM s WHERE j.id = s.id RETURNING j.id, s.from_state, j.state, j.error_code, j.error_message";
  private static final String SETTLE_ITEMS = "UPDATE fetchd_items i SET"
      + " state = CASE WHEN j.state IN " + TERMINAL + " THEN 'cancelled' ELSE 'queued' END,"
      + " error_code = CASE WHEN j.state IN " + TERMINAL + " THEN 'cancelled' ELSE i.error_code END,"
      + " error_message = CASE WHEN j.state IN " + TERMINAL + " THEN j.error_message ELSE i.error_message END"
      + " FROM fetchd_jobs j WHERE j.id = ANY($1::text[]) AND i.job_id = j.id"
      + " AND (i.state = 'running' OR (j.state IN " + TERMINAL + " AND i.state = 'queued'))";
  private static final int QUEUE_LOCK_CLASS = 0x66657471; // "fetq": one lock per schema serialises submits
  // progress is recounted from the items, the truth the next replica starts from
  private static final String RECOUNT = "UPDATE fetchd_jobs j SET progress = c.progress"
      + " || jsonb_build_object('notParsed', coalesce(j.progress -> 'notParsed', '0'::jsonb)) FROM ("
      + " SELECT job_id, jsonb_build_object('bytes', sum(bytes), 'counts', jsonb_object_agg(kind, states),"
      + "   'unchanged', sum(unchanged)) AS progress"
      + " FROM (SELECT job_id, kind, jsonb_object_agg(state, n) AS states, sum(bytes) AS bytes,"
      + "   sum(unchanged) AS unchanged"
      + "   FROM (SELECT job_id, kind, state, count(*) AS n, sum(bytes) AS bytes,"
      + "     count(*) FILTER (WHERE unchanged AND state = 'succeeded') AS unchanged FROM fetchd_items"
      + "     WHERE job_id = ANY($1::text[]) GROUP BY job_id, kind, state) by_state"
      + "   GROUP BY job_id, kind) by_kind"
      + " GROUP BY job_id) c WHERE j.id = c.job_id";

  private final Vertx vertx;
  private final Pool pool;
  private final PgConnectOptions connectOptions;
  /** Items added since this replica last had the items table analyzed (see {@link #grew}). */
  private final java.util.concurrent.atomic.AtomicLong itemsSinceAnalyze = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicBoolean analyzing = new java.util.concurrent.atomic.AtomicBoolean();
  private static final long ANALYZE_AFTER_ITEMS = 20_000;
  private final String schema;
  private final PgNotifier.Channels channels;
  /** The last write of each job with writes in flight: the next one for that job starts after it. */
  private final Map<String, Future<?>> tails = new ConcurrentHashMap<>();
  private final PgNotifier notifier;
  private final HostPermits hostPermits;
  /** Seals secret request values at rest; null when no key is configured (such jobs are refused). */
  private volatile SecretBox secrets;
  private final WebhookStore webhooks;
  private final BlobRefs blobs;

  private PgJobStore(Vertx vertx, PgConnectOptions connectOptions, int poolSize, String schema) {
    this.vertx = vertx;
    this.connectOptions = connectOptions;
    this.schema = schema;
    this.channels = PgNotifier.Channels.forSchema(schema);
    this.pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(poolSize).setName("fetchd-pg"))
        .connectingTo(connectOptions)
        .using(vertx)
        .build();
    this.notifier = new PgNotifier(vertx, new PgConnectOptions(connectOptions), pool, channels);
    this.hostPermits = new PgHostPermits(pool);
    this.webhooks = new PgWebhookStore(pool, () -> secrets);
    this.blobs = new PgBlobRefs(pool);
  }

  /** A store on the database at {@code url} (postgresql://user@host:port/db) in its default schema. */
  public static PgJobStore create(Vertx vertx, String url, int poolSize) {
    return create(vertx, url, poolSize, null);
  }

  /**
   * A store in {@code schema} (created at {@link #init} if missing; null for the database's default), with
   * at most {@code poolSize} connections. Notification channels are per schema, so schemas never wake each
   * other.
   */
  public static PgJobStore create(Vertx vertx, String url, int poolSize, String schema) {
    return create(vertx, url, poolSize, schema, null);
  }

  /** As {@link #create(Vertx, String, int, String)}, with a password that need not be in the URL. */
  public static PgJobStore create(Vertx vertx, String url, int poolSize, String schema, String password) {
    if (poolSize < 1) {
      throw new IllegalArgumentException("pool size must be at least 1: " + poolSize);
    }
    return new PgJobStore(vertx, connectOptions(url, schema, password), poolSize, schema);
  }

  /**
   * How to connect: the URL, and {@code password} (null or blank: the URL's own, if any) in place of the
   * URL's password, so that a password kept in a secret need not be written into the URL.
   */
  static PgConnectOptions connectOptions(String url, String schema, String password) {
    if (schema != null && !SCHEMA_NAME.matcher(schema).matches()) {
      throw new IllegalArgumentException("schema must be a lower-case SQL identifier: " + schema);
    }
    PgConnectOptions options = PgConnectOptions.fromUri(url)
        .setCachePreparedStatements(true)
        .addProperty("application_name", "fetchd")
        // "already exists, skipping" notices of every start are not worth a warning in the log
        .addProperty("client_min_messages", "warning");
    if (schema != null) {
      options.addProperty("search_path", schema);
    }
    if (password != null && !password.isBlank()) {
      options.setPassword(password);
    }
    return options;
  }

  /** Uses {@code secrets} (null: none) to seal and open secret request values; call before the store is used. */
  public PgJobStore secrets(SecretBox secrets) {
    this.secrets = secrets;
    return this;
  }

  private Job job(Row r) {
    return PgCodec.job(r, secrets);
  }

  /** This store's one listener for its channels (its own connection); see {@link PgNotifier}. */
  public PgNotifier notifier() {
    return notifier;
  }

  @Override
  public Future<Void> listen(Listener listener) {
    return notifier.jobQueuedHandler(v -> listener.jobQueued())
        .cancelHandler(listener::cancelRequested)
        .changedHandler(listener::jobChanged)
        .start();
  }

  @Override
  public Future<Void> unlisten() {
    return notifier.close();
  }

  @Override
  public HostPermits hostPermits() {
    return hostPermits;
  }

  @Override
  public WebhookStore webhooks() {
    return webhooks;
  }

  @Override
  public BlobRefs blobs() {
    return blobs;
  }

  public PgNotifier.Channels channels() {
    return channels;
  }

  /** Creates or migrates the schema (scripts read through executeBlocking; see {@link PgSchema}). */
  @Override
  public Future<Void> init() {
    return PgSchema.migrate(vertx, pool, schema).mapEmpty();
  }

  /** The schema version now in the database. */
  public Future<Integer> schemaVersion() {
    return PgSchema.version(pool);
  }

  // ---- JobStore --------------------------------------------------------------------------------------

  @Override
  public Future<Void> insert(Job job, List<Item> items) {
    return pool.withTransaction(conn -> conn.preparedQuery(INSERT_JOB).execute(PgCodec.insertJob(job, secrets))
            .compose(v -> writeItems(conn, INSERT_ITEMS, items))
            .compose(v -> job.state() == JobState.QUEUED ? notify(conn, channels.jobs(), "") : Future.succeededFuture()))
        .recover(PgJobStore::duplicate)
        .onSuccess(v -> grew(items.size()))
        .mapEmpty();
  }

  /**
   * Items were added: after many, this replica has the items table analyzed rather than wait for autovacuum.
   * Without statistics (a new database, autovacuum off or not yet round), the item updates' cached plan, made
   * while the table was small, was kept as the table grew: a 100,000-item job's update statements took 14 s each
   * and the job crawled; an ANALYZE (which also invalidates cached plans) ended that at once.
   */
  private void grew(int rows) {
    if (itemsSinceAnalyze.addAndGet(rows) < ANALYZE_AFTER_ITEMS || !analyzing.compareAndSet(false, true)) {
      return;
    }
    itemsSinceAnalyze.set(0);
    pool.query("ANALYZE fetchd_items").execute().onComplete(ar -> {
      analyzing.set(false);
      if (ar.failed()) {
        log.debug("ANALYZE fetchd_items failed: {}", ar.cause().toString());
      }
    });
  }

  @Override
  public Future<Boolean> submit(Job job, List<Item> items, int capacity) {
    // the count and the insert under one transaction-scoped lock: replicas submitting at once queue behind
    // each other for the length of one insert, and never overfill the queue together
    // the parameters of a big job (arrays of up to 100,000 values) are built on a worker
    Future<List<Tuple>> chunks = items.size() <= CHUNK ? Future.succeededFuture(chunks(items))
        : vertx.executeBlocking(() -> chunks(items), false);
    return chunks.compose(tuples -> pool.withTransaction(conn -> conn.preparedQuery(
                "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))")
            .execute(Tuple.of(QUEUE_LOCK_CLASS))
            .compose(v -> conn.query("SELECT count(*) AS n FROM fetchd_jobs WHERE state = 'queued'").execute())
            .compose(rows -> {
              if (rows.iterator().next().getLong("n") >= capacity) {
                return Future.succeededFuture(false);
              }
              List<Supplier<Future<?>>> writes = new ArrayList<>();
              writes.add(() -> conn.preparedQuery(INSERT_JOB).execute(PgCodec.insertJob(job, secrets)));
              tuples.forEach(t -> writes.add(() -> conn.preparedQuery(INSERT_ITEMS).execute(t)));
              return oneAfterAnother(writes)
                  .compose(v -> notify(conn, channels.jobs(), ""))
                  .map(true);
            })))
        .recover(PgJobStore::duplicate)
        .onSuccess(accepted -> {
          if (accepted) {
            grew(items.size());
          }
        });
  }

  private static <T> Future<T> duplicate(Throwable err) {
    if (err instanceof PgException pg && "23505".equals(pg.getSqlState())) {
      boolean key = pg.getConstraint() != null && pg.getConstraint().contains("idempotency");
      return Future.failedFuture(new DuplicateJobException(
          key ? "Idempotency-Key already used by another job" : "duplicate job id", key));
    }
    return Future.failedFuture(err);
  }

  @Override
  public Future<Job> findByIdempotencyKey(String key) {
    return one("SELECT " + PgCodec.JOB_COLUMNS + " FROM fetchd_jobs WHERE idempotency_key = $1", Tuple.of(PgCodec.safe(key)),
        this::job);
  }

  @Override
  public Future<Job> get(String id) {
    return one("SELECT " + PgCodec.JOB_COLUMNS + " FROM fetchd_jobs WHERE id = $1", Tuple.of(id), this::job);
  }

  @Override
  public Future<Page<Job>> list(JobState state, String owner, int limit, String cursor) {
    long before;
    try {
      before = cursor == null ? Long.MAX_VALUE : Cursors.decode("jobs", cursor);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return pool.preparedQuery("SELECT " + PgCodec.JOB_COLUMNS + " FROM fetchd_jobs"
            + " WHERE seq < $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR owner = $3)"
            + " ORDER BY seq DESC LIMIT $4")
        .execute(Tuple.of(before, state == null ? null : state.wire(), owner, limit + 1))
        .map(rows -> {
          List<Job> out = new ArrayList<>(Math.min(limit, rows.size()));
          long last = -1;
          for (Row r : rows) {
            if (out.size() == limit) {
              return new Page<>(out, Cursors.encode("jobs", last));
            }
            out.add(job(r));
            last = r.getLong("seq");
          }
          return new Page<>(out, null);
        });
  }

  @Override
  public Future<Void> updateJob(Job job) {
    return inOrder(job.id(), () -> pool.preparedQuery(UPDATE_JOB).execute(PgCodec.updateJob(job)).mapEmpty());
  }

  @Override
  public Future<Void> addItems(List<Item> items) {
    return byJob(items, (jobId, batch) -> inOrder(jobId, () -> writeItems(pool, ADD_ITEMS, batch)))
        .onSuccess(v -> grew(items.size()));
  }

  @Override
  public Future<Void> updateItems(List<Item> items) {
    return byJob(items, (jobId, batch) -> inOrder(jobId, () -> writeItems(pool, UPDATE_ITEMS, batch)));
  }

  @Override
  public Future<Page<Item>> items(String jobId, ItemState state, int limit, String cursor) {
    long from;
    try {
      from = cursor == null ? 0 : Cursors.decode("items", cursor);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return pool.preparedQuery("SELECT " + PgCodec.ITEM_COLUMNS + " FROM fetchd_items"
            + " WHERE job_id = $1 AND idx >= $2 AND ($3::text IS NULL OR state = $3) ORDER BY idx LIMIT $4")
        .execute(Tuple.of(jobId, (int) Math.min(Integer.MAX_VALUE, Math.max(0, from)),
            state == null ? null : state.wire(), limit + 1))
        .compose(rows -> {
          List<Item> out = new ArrayList<>(Math.min(limit, rows.size()));
          String next = null;
          for (Row r : rows) {
            if (out.size() == limit) {
              next = Cursors.encode("items", out.get(out.size() - 1).index() + 1L);
              break;
            }
            out.add(PgCodec.item(r));
          }
          Page<Item> page = new Page<>(out, next);
          if (!out.isEmpty()) {
            return Future.succeededFuture(page);
          }
          // an empty page: tell an unknown job (null) from a job with nothing to show
          return exists(jobId).map(found -> found ? page : null);
        });
  }

  private Future<Boolean> exists(String jobId) {
    return pool.preparedQuery("SELECT 1 FROM fetchd_jobs WHERE id = $1").execute(Tuple.of(jobId))
        .map(rows -> rows.size() > 0);
  }

  @Override
  public Future<List<Item>> allItems(String jobId) {
    return pool.preparedQuery("SELECT " + PgCodec.ITEM_COLUMNS + " FROM fetchd_items WHERE job_id = $1 ORDER BY idx")
        .execute(Tuple.of(jobId))
        // the rows of a big job (up to 100,000) become items on a worker, out of the loop's way
        .compose(rows -> rows.size() <= CHUNK ? Future.succeededFuture(items(rows))
            : vertx.executeBlocking(() -> items(rows), false));
  }

  private static List<Item> items(RowSet<Row> rows) {
    List<Item> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(PgCodec.item(r)));
    return out;
  }

  @Override
  public Future<Item> item(String jobId, int index) {
    return one("SELECT " + PgCodec.ITEM_COLUMNS + " FROM fetchd_items WHERE job_id = $1 AND idx = $2",
        Tuple.of(jobId, index), PgCodec::item);
  }

  @Override
  public Future<List<String>> finishedBefore(Instant cutoff, int max) {
    // a job whose webhook deliveries are still being retried stays until they end (at least once)
    return pool.preparedQuery("SELECT id FROM fetchd_jobs j WHERE state IN " + TERMINAL
            + " AND finished_at < $1 AND NOT EXISTS (SELECT 1 FROM fetchd_webhook_deliveries d"
            + " WHERE d.job_id = j.id AND d.status = 'pending') ORDER BY finished_at LIMIT $2")
        .execute(Tuple.of(PgCodec.odt(cutoff), max))
        .map(PgJobStore::ids);
  }

  @Override
  public Future<List<String>> endedWithoutEndEvent(Instant after, Instant cutoff, int max) {
    // the partial index of V8 holds the finished jobs that have a webhook; the end event's name is job.<state>
    return pool.preparedQuery("SELECT id FROM fetchd_jobs j WHERE jsonb_exists(spec, 'webhook')"
            + " AND finished_at IS NOT NULL AND finished_at < $1 AND ($3::timestamptz IS NULL OR finished_at > $3)"
            + " AND state IN " + TERMINAL
            + " AND jsonb_exists(spec -> 'webhook' -> 'events', 'job.' || state)"
            + " AND NOT EXISTS (SELECT 1 FROM fetchd_webhook_deliveries d WHERE d.job_id = j.id"
            + " AND d.event = 'job.' || j.state) ORDER BY finished_at LIMIT $2")
        .execute(Tuple.of(PgCodec.odt(cutoff), max, after == null ? null : PgCodec.odt(after)))
        .map(PgJobStore::ids);
  }

  @Override
  public Future<Void> delete(String jobId) {
    return inOrder(jobId, () -> pool.preparedQuery("DELETE FROM fetchd_jobs WHERE id = $1").execute(Tuple.of(jobId))
        .compose(v -> webhooks.deleteDeliveries(jobId)));
  }

  @Override
  public Future<Void> close() {
    return pool.close();
  }

  // ---- JobClaims -------------------------------------------------------------------------------------

  @Override
  public Future<List<Claimed>> claim(String replica, int max, long leaseMs) {
    if (max <= 0) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery(CLAIM).execute(Tuple.of(replica, max, leaseMs)).map(rows -> {
      List<Row> sorted = new ArrayList<>();
      rows.forEach(sorted::add);
      // RETURNING has no order: restore the claim order
      sorted.sort(Comparator.comparingInt((Row r) -> -r.getInteger("priority")).thenComparingLong(r -> r.getLong("seq")));
      List<Claimed> out = new ArrayList<>(sorted.size());
      for (Row r : sorted) {
        Job job = job(r);
        out.add(new Claimed(job, new Lease(job.id(), replica, r.getInteger("attempt")),
            PgCodec.instant(r.getOffsetDateTime("lease_until")), PgCodec.instant(r.getOffsetDateTime("deadline_at"))));
      }
      return out;
    });
  }

  @Override
  public Future<Renewal> renew(String replica, Collection<String> jobIds, long leaseMs) {
    if (jobIds.isEmpty()) {
      return Future.succeededFuture(new Renewal(Set.of(), Map.of()));
    }
    return pool.preparedQuery(RENEW).execute(Tuple.of(replica, jobIds.toArray(new String[0]), leaseMs)).map(rows -> {
      Set<String> held = new HashSet<>();
      Map<String, JobError> cancel = new HashMap<>();
      for (Row r : rows) {
        held.add(r.getString("id"));
        if (r.getString("cancel_code") != null) {
          cancel.put(r.getString("id"), new JobError(r.getString("cancel_code"), r.getString("cancel_message")));
        }
      }
      return new Renewal(Set.copyOf(held), Map.copyOf(cancel));
    });
  }

  /** The queue outlives this replica: the job goes back to it ({@code ifAbandoned} is not needed). */
  @Override
  public Future<Moved> release(Lease lease, JobError ifAbandoned) {
    return inOrder(lease.jobId(), () -> pool.withTransaction(conn -> conn.preparedQuery(RELEASE)
        .execute(Tuple.of(lease.jobId(), lease.replica(), lease.attempt()))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture((Moved) null)
            : settle(conn, List.of(lease.jobId()), List.of()).map(moved -> moved.isEmpty() ? null : moved.get(0)))));
  }

  @Override
  public Future<List<Moved>> reclaimExpired(int maxAttempts) {
    return pool.withTransaction(conn -> conn.preparedQuery(EXPIRED).execute(Tuple.of(RECLAIM_BATCH))
        .compose(rows -> {
          List<String> ids = ids(rows);
          List<String> exhausted = new ArrayList<>();
          rows.forEach(r -> {
            if (r.getInteger("attempt") >= maxAttempts) {
              exhausted.add(r.getString("id"));
            }
          });
          return ids.isEmpty() ? Future.succeededFuture(List.<Moved>of()) : settle(conn, ids, exhausted);
        }));
  }

  /**
   * Moves locked jobs out of their replica's hands: back to the queue, or cancelled, or failed when in
   * {@code exhausted}; their items follow and progress is recounted. Wakes the replicas if any was queued.
   */
  private Future<List<Moved>> settle(SqlConnection conn, List<String> ids, List<String> exhausted) {
    Tuple arg = Tuple.of(ids.toArray(new String[0]));
    return conn.preparedQuery(SETTLE_JOBS).execute(Tuple.tuple()
        .addArrayOfString(ids.toArray(new String[0])).addArrayOfString(exhausted.toArray(new String[0])))
        .compose(jobs -> {
          List<Moved> moved = new ArrayList<>();
          boolean requeued = false;
          for (Row r : jobs) {
            JobState to = JobState.fromWire(r.getString("state"));
            requeued |= to == JobState.QUEUED;
            String code = r.getString("error_code");
            moved.add(new Moved(r.getString("id"), JobState.fromWire(r.getString("from_state")), to,
                code == null ? null : new JobError(code, r.getString("error_message"))));
          }
          boolean wake = requeued;
          String[] changed = moved.stream().map(Moved::jobId).toArray(String[]::new);
          return conn.preparedQuery(SETTLE_ITEMS).execute(arg)
              .compose(v -> conn.preparedQuery(RECOUNT).execute(arg))
              .compose(v -> wake ? notify(conn, channels.jobs(), "") : Future.succeededFuture())
              .compose(v -> conn.preparedQuery("SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id")
                  .execute(Tuple.tuple().addString(channels.changed()).addArrayOfString(changed)))
              .map(moved);
        });
  }

  @Override
  public Future<Map<JobState, Long>> countByState() {
    return pool.query("SELECT state, count(*) AS n FROM fetchd_jobs GROUP BY state").execute().map(rows -> {
      Map<JobState, Long> counts = new java.util.EnumMap<>(JobState.class);
      for (JobState s : JobState.values()) {
        counts.put(s, 0L);
      }
      rows.forEach(r -> counts.put(JobState.fromWire(r.getString("state")), r.getLong("n")));
      return counts;
    });
  }

  @Override
  public Future<Long> countQueued() {
    return pool.query("SELECT count(*) AS n FROM fetchd_jobs WHERE state = 'queued'").execute()
        .map(rows -> rows.iterator().next().getLong("n"));
  }

  @Override
  public Future<Boolean> updateJob(Lease lease, Job job) {
    if (!job.id().equals(lease.jobId())) {
      return Future.failedFuture(new IllegalArgumentException("job " + job.id() + " is not the leased " + lease.jobId()));
    }
    if (job.state() == JobState.QUEUED) {
      return Future.failedFuture(new IllegalArgumentException("a job goes back to the queue through release()"));
    }
    Tuple t = PgCodec.updateJob(job).addString(lease.replica()).addInteger(lease.attempt()).addString(channels.changed());
    boolean terminal = job.state().isTerminal();
    // a job's last word: its progress is counted from its items as saved, so the two always agree
    return inOrder(job.id(), () -> pool.preparedQuery(FENCED_UPDATE_JOB).execute(t).compose(rows -> rows.size() == 1
        && terminal ? pool.preparedQuery(RECOUNT).execute(Tuple.of(new String[] {job.id()})).map(true)
        : Future.succeededFuture(rows.size() == 1)));
  }

  @Override
  public Future<Boolean> updateItems(Lease lease, List<Item> items) {
    return fencedItems(lease, FENCED_UPDATE_ITEMS, items);
  }

  @Override
  public Future<Boolean> addItems(Lease lease, List<Item> items) {
    return fencedItems(lease, FENCED_ADD_ITEMS, items).onSuccess(v -> grew(items.size()));
  }

  private Future<Boolean> fencedItems(Lease lease, String sql, List<Item> items) {
    for (Item item : items) {
      if (!item.jobId().equals(lease.jobId())) {
        return Future.failedFuture(new IllegalArgumentException(
            "item of job " + item.jobId() + " written under the lease of " + lease.jobId()));
      }
    }
    Function<SqlClient, Future<Boolean>> write = client -> {
      List<Supplier<Future<?>>> parts = new ArrayList<>();
      boolean[] fenced = {true};
      for (int from = 0; from < Math.max(1, items.size()); from += CHUNK) {
        int first = from;
        parts.add(() -> {
          // the fence's parameters follow the item arrays ($21..$23)
          Tuple t = PgCodec.itemArrays(items, first, Math.min(items.size(), first + CHUNK))
              .addString(lease.jobId()).addString(lease.replica()).addInteger(lease.attempt());
          return client.preparedQuery(sql).execute(t)
              .onSuccess(rows -> fenced[0] &= rows.iterator().next().getLong("fenced") == 1L);
        });
      }
      return oneAfterAnother(parts).map(v -> fenced[0]);
    };
    // one chunk is one atomic statement; more share a transaction, whose first fence holds the row lock
    return inOrder(lease.jobId(), () -> items.size() <= CHUNK ? write.apply(pool)
        : pool.withTransaction(conn -> write.apply(conn)));
  }

  @Override
  public Future<CancelOutcome> requestCancel(String jobId, JobError why) {
    return inOrder(jobId, () -> pool.withTransaction(conn -> conn.preparedQuery("UPDATE fetchd_jobs"
            + " SET cancel_code = $2, cancel_message = $3 WHERE id = $1 AND state IN ('queued', 'running') RETURNING state")
        .execute(Tuple.of(jobId, why.code(), why.message()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return conn.preparedQuery("SELECT state FROM fetchd_jobs WHERE id = $1").execute(Tuple.of(jobId))
                .map(r -> r.size() == 0 ? CancelOutcome.UNKNOWN : CancelOutcome.FINISHED);
          }
          if ("queued".equals(rows.iterator().next().getString("state"))) {
            return settle(conn, List.of(jobId), List.of()).map(CancelOutcome.CANCELLED);
          }
          return notify(conn, channels.cancel(), jobId).map(CancelOutcome.REQUESTED);
        })));
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  /** Inserts or updates items in statements of {@link #CHUNK}, one after another when several. */
  private static Future<Void> writeItems(SqlClient client, String sql, List<Item> items) {
    List<Supplier<Future<?>>> parts = new ArrayList<>();
    for (int from = 0; from < items.size(); from += CHUNK) {
      int first = from;
      parts.add(() -> client.preparedQuery(sql).execute(PgCodec.itemArrays(items, first,
          Math.min(items.size(), first + CHUNK))));
    }
    return oneAfterAnother(parts);
  }

  /**
   * Runs statements one after another. Not pipelined: the client encodes a statement's parameters on the event
   * loop when it sends it, and a dozen statements of {@link #CHUNK} items sent at once held the loop for 200 ms on a
   * busy machine; one at a time, each is encoded on its own turn of the loop.
   */
  private static Future<Void> oneAfterAnother(List<Supplier<Future<?>>> statements) {
    Future<?> chain = Future.succeededFuture();
    for (Supplier<Future<?>> next : statements) {
      chain = chain.compose(v -> next.get());
    }
    return chain.mapEmpty();
  }

  /** The item arrays of {@code items}, one tuple per statement of {@link #CHUNK}. */
  private static List<Tuple> chunks(List<Item> items) {
    List<Tuple> out = new ArrayList<>();
    for (int from = 0; from < items.size(); from += CHUNK) {
      out.add(PgCodec.itemArrays(items, from, Math.min(items.size(), from + CHUNK)));
    }
    return out;
  }

  /** Several chunks of one unfenced write go in one transaction so that they apply together or not at all. */
  private Future<Void> writeItems(Pool pool, String sql, List<Item> items) {
    return items.size() <= CHUNK ? writeItems((SqlClient) pool, sql, items)
        : pool.withTransaction(conn -> writeItems((SqlClient) conn, sql, items));
  }

  private Future<Void> byJob(List<Item> items, java.util.function.BiFunction<String, List<Item>, Future<Void>> write) {
    Map<String, List<Item>> groups = new LinkedHashMap<>();
    for (Item item : items) {
      groups.computeIfAbsent(item.jobId(), k -> new ArrayList<>()).add(item);
    }
    List<Future<Void>> all = new ArrayList<>();
    groups.forEach((jobId, batch) -> all.add(write.apply(jobId, batch)));
    return Future.all(all).mapEmpty();
  }

  /**
   * Runs {@code write} after every earlier write of the same job has completed (whatever its outcome).
   * The pool would otherwise run two writes of one job on two connections in either order, and a stale
   * progress update could land after the final one.
   */
  private <T> Future<T> inOrder(String jobId, Supplier<Future<T>> write) {
    Promise<T> done = Promise.promise();
    Future<T> mine = done.future();
    Future<?> previous = tails.put(jobId, mine);
    Future<?> after = previous == null ? Future.succeededFuture() : previous.transform(ar -> Future.succeededFuture());
    after.onComplete(ar -> {
      Future<T> f;
      try {
        f = write.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(done);
    });
    mine.onComplete(ar -> tails.remove(jobId, mine));
    return mine;
  }

  private <T> Future<T> one(String sql, Tuple args, Function<Row, T> map) {
    return pool.preparedQuery(sql).execute(args).map(rows -> {
      var it = rows.iterator();
      return it.hasNext() ? map.apply(it.next()) : null;
    });
  }

  private static Future<Void> notify(SqlClient client, String channel, String payload) {
    return client.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(channel, payload)).mapEmpty();
  }

  private static List<String> ids(RowSet<Row> rows) {
    List<String> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(r.getString("id")));
    return out;
  }

  private static String prefixed(String prefix, String columns) {
    StringBuilder sb = new StringBuilder();
    for (String c : columns.split(",")) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(prefix).append(c.trim());
    }
    return sb.toString();
  }
}
