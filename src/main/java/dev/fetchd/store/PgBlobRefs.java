package dev.fetchd.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/**
 * The counts in PostgreSQL ({@code fetchd_blobs}, schema version 6): written by triggers on {@code fetchd_items}
 * in each item write's own transaction, read here by the sweep and the {@code fetchd_store_bytes} gauge.
 */
final class PgBlobRefs implements BlobRefs {
  private final Pool pool;

  PgBlobRefs(Pool pool) {
    this.pool = pool;
  }

  @Override
  public Future<Set<String>> unreferenced(Collection<String> sha256s) {
    if (sha256s.isEmpty()) {
      return Future.succeededFuture(Set.of());
    }
    return pool.preparedQuery("SELECT s FROM unnest($1::text[]) AS s"
            + " WHERE NOT EXISTS (SELECT 1 FROM fetchd_blobs b WHERE b.sha256 = s AND b.refs > 0)")
        .execute(Tuple.of(sha256s.toArray(new String[0])))
        .map(rows -> {
          Set<String> out = new HashSet<>();
          rows.forEach(r -> out.add(r.getString(0)));
          return out;
        });
  }

  @Override
  public Future<Void> forget(Collection<String> sha256s) {
    if (sha256s.isEmpty()) {
      return Future.succeededFuture();
    }
    // refs <= 0: an item saved since (a writer that put its own copy in place) keeps its row
    return pool.preparedQuery("DELETE FROM fetchd_blobs WHERE sha256 = ANY($1::text[]) AND refs <= 0")
        .execute(Tuple.of(sha256s.toArray(new String[0])))
        .mapEmpty();
  }

  @Override
  public Future<Long> storedBytes() {
    return pool.query("SELECT coalesce(sum(bytes), 0)::bigint AS n FROM fetchd_blobs WHERE refs > 0").execute()
        .map(rows -> rows.iterator().next().getLong("n"));
  }
}
