package dev.fetchd.store;

import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The PostgreSQL host permits against the contract: {@link #INSTANCES} of them, each on a pool of its own as
 * separate replicas would be, on one schema migrated by the store. Skipped without PostgreSQL.
 */
class PgHostPermitsTest extends HostPermitsContractTest {
  static final String SCHEMA = "fetchd_test_host_permits";
  private static final List<Pool> pools = new ArrayList<>();
  private static final List<PgHostPermits> instances = new ArrayList<>();

  @BeforeAll
  static void migrateAndConnect() {
    PgTestDatabase.freshStore(vertx, SCHEMA, 1).close().await();
    for (int i = 0; i < INSTANCES; i++) {
      Pool pool = PgBuilder.pool()
          .with(new PoolOptions().setMaxSize(4))
          .connectingTo(PgConnectOptions.fromUri(PgTestDatabase.url()).addProperty("search_path", SCHEMA))
          .using(vertx)
          .build();
      pools.add(pool);
      instances.add(new PgHostPermits(pool));
    }
  }

  @AfterAll
  static void closePools() {
    pools.forEach(p -> p.close().await());
    pools.clear();
    instances.clear();
  }

  @Override
  protected HostPermits permits(int i) {
    return instances.get(i);
  }

  @Override
  protected void empty() {
    PgTestDatabase.sql(vertx, SCHEMA, "TRUNCATE fetchd_hosts, fetchd_host_slots");
  }
}
