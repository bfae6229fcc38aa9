package dev.fetchd.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates and migrates the PostgreSQL schema at start. The versioned scripts are the classpath resources
 * {@code db/V<n>__<name>.sql} listed in {@link #MIGRATIONS}; the table {@code fetchd_schema_version} records
 * which ran. Everything happens in one transaction that first takes a transaction-scoped advisory lock,
 * so replicas starting at once queue behind each other: the first migrates, the rest find nothing to do.
 */
final class PgSchema {
  private static final Logger log = LoggerFactory.getLogger(PgSchema.class);

  /** Every migration, in order. A released script never changes; a new version is a new file here. */
  static final List<String> MIGRATIONS = List.of("V1__jobs_and_items.sql", "V2__host_permits.sql",
      "V3__webhook_deliveries.sql", "V4__item_via.sql", "V5__item_response_head.sql",
      "V6__blobs.sql", "V7__item_unchanged.sql", "V8__jobs_with_webhooks.sql");

  /** First key of the advisory lock ("fetc"); the second is the schema's name, so schemas migrate independently. */
  static final int LOCK_CLASS = 0x66657463;

  private PgSchema() {
  }

  record Migration(int version, String name, String sql) {
  }

  /**
   * Reads the scripts from the classpath. Blocking (a jar read): {@link #migrate} calls it through
   * {@code executeBlocking}, never on the event loop.
   */
  static List<Migration> load() {
    List<Migration> out = new ArrayList<>();
    for (String file : MIGRATIONS) {
      int version = Integer.parseInt(file.substring(1, file.indexOf("__")));
      String name = file.substring(file.indexOf("__") + 2, file.length() - ".sql".length());
      try (InputStream in = PgSchema.class.getClassLoader().getResourceAsStream("db/" + file)) {
        if (in == null) {
          throw new IllegalStateException("migration db/" + file + " is missing from the classpath");
        }
        out.add(new Migration(version, name, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new UncheckedIOException("reading migration db/" + file, e);
      }
    }
    return out;
  }

  /** Brings the schema ({@code null}: the connection's search path, normally public) up to date. */
  static Future<Integer> migrate(Vertx vertx, Pool pool, String schema) {
    return vertx.executeBlocking(PgSchema::load, false)
        .compose(migrations -> pool.withTransaction(conn -> migrate(conn, schema, migrations)));
  }

  private static Future<Integer> migrate(SqlConnection conn, String schema, List<Migration> migrations) {
    String lockName = schema == null ? "" : schema;
    Future<?> start = conn.preparedQuery("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .execute(Tuple.of(LOCK_CLASS, lockName));
    if (schema != null) {
      start = start.compose(v -> conn.query("CREATE SCHEMA IF NOT EXISTS " + schema).execute());
    }
    return start
        .compose(v -> conn.query("CREATE TABLE IF NOT EXISTS fetchd_schema_version ("
            + " version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
            .execute())
        .compose(v -> conn.query("SELECT version FROM fetchd_schema_version").execute())
        .compose(rows -> {
          Set<Integer> applied = new HashSet<>();
          rows.forEach(r -> applied.add(r.getInteger("version")));
          int current = applied.stream().max(Integer::compare).orElse(0);
          int latest = migrations.get(migrations.size() - 1).version();
          if (current > latest) {
            // a newer replica migrated already (rolling upgrade); migrations are additive, so carry on
            log.warn("database schema is at version {}, newer than this build knows ({})", current, latest);
          }
          Future<Void> chain = Future.succeededFuture();
          for (Migration m : migrations) {
            // every script not recorded yet, in order: one merged below a version already applied (two
            // branches that each added one) still runs
            if (!applied.contains(m.version())) {
              chain = chain
                  .compose(v -> conn.query(m.sql()).execute())
                  .compose(v -> conn.preparedQuery("INSERT INTO fetchd_schema_version (version, name) VALUES ($1, $2)")
                      .execute(Tuple.of(m.version(), m.name())))
                  .map(v -> {
                    log.info("database schema migrated to version {} ({})", m.version(), m.name());
                    return null;
                  });
            }
          }
          return chain.map(v -> Math.max(current, latest));
        });
  }

  /** The version recorded in the schema, 0 before any migration. */
  static Future<Integer> version(Pool pool) {
    return pool.query("SELECT coalesce(max(version), 0) AS v FROM fetchd_schema_version").execute()
        .map(rows -> {
          Row r = rows.iterator().next();
          return r.getInteger("v");
        });
  }
}
