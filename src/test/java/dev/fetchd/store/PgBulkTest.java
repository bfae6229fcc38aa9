package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.Item;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Volume: a job of 50,000 URLs is written and rewritten in batches, not one round trip per item, and a
 * claim stays cheap with a long queue. Times are printed for the record and bounded only loosely: the
 * machine running the tests may be slow or busy.
 */
class PgBulkTest {
  static final String SCHEMA = "fetchd_test_bulk";
  static final int URLS = 50_000;

  static Vertx vertx;
  static PgJobStore store;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    store = PgTestDatabase.freshStore(vertx, SCHEMA, 8);
  }

  @AfterAll
  static void stop() {
    if (store != null) {
      store.close().await();
    }
    vertx.close().await();
  }

  @BeforeEach
  void empty() {
    PgTestDatabase.sql(vertx, SCHEMA, "TRUNCATE fetchd_jobs, fetchd_items, fetchd_blobs");
  }

  static <T> T timed(String what, Supplier<T> action) {
    long t0 = System.nanoTime();
    T out = action.get();
    System.out.printf("[bulk] %-46s %8.1f ms%n", what, (System.nanoTime() - t0) / 1e6);
    return out;
  }

  @Test
  void aJobOf50000UrlsIsWrittenInBatchesInAFewSeconds() {
    // warm the pool and the statement cache so that the first timing is not the connection set-up
    JobDriverContractTest.submit(store, 0, 10);

    Job job = JobStoreContractTest.newJob(JobStoreContractTest.downloadSpec(URLS), java.time.Instant.now(), null, null);
    List<Item> items = JobStoreContractTest.itemsOf(job);
    long t0 = System.nanoTime();
    timed("insert job + 50,000 items", () -> store.insert(job, items).await());
    double insertMs = (System.nanoTime() - t0) / 1e6;

    Job read = timed("get job (spec of 50,000 URLs)", () -> store.get(job.id()).await());
    assertThat(read.spec().urls()).hasSize(URLS);
    assertThat(read.progress().queued()).isEqualTo(URLS);
    List<Item> all = timed("allItems (50,000)", () -> store.allItems(job.id()).await());
    assertThat(all).hasSize(URLS);
    assertThat(all.get(URLS - 1).url()).isEqualTo(items.get(URLS - 1).url());

    for (Item it : all) {
      it.state(ItemState.SUCCEEDED);
      it.stored(job.id() + "/" + it.index(), 1000, "0".repeat(64));
    }
    timed("updateItems (50,000, unfenced)", () -> store.updateItems(all).await());

    var claimed = store.claim("replica-bulk", 10, 30_000).await();
    JobClaims.Claimed c = claimed.stream().filter(x -> x.job().id().equals(job.id())).findFirst().orElseThrow();
    for (Item it : all) {
      it.attempts(2);
    }
    Boolean applied = timed("updateItems (50,000, fenced)", () -> store.updateItems(c.lease(), all).await());
    assertThat(applied).isTrue();
    Page<Item> page = timed("items page of 100, state filter, deep cursor",
        () -> store.items(job.id(), ItemState.SUCCEEDED, 100, Cursors.encode("items", 40_000)).await());
    assertThat(page.entries().get(0).index()).isEqualTo(40_000);
    assertThat(page.entries().get(0).attempts()).isEqualTo(2);
    timed("release (recount 50,000 items)", () -> store.release(c.lease(), null).await());
    assertThat(store.get(job.id()).await().progress().succeeded()).isEqualTo(URLS);
    timed("delete job + 50,000 items", () -> store.delete(job.id()).await());

    assertThat(insertMs).as("50,000-item insert, ms").isLessThan(30_000);
  }

  @Test
  void aClaimStaysCheapWithAThousandJobsQueued() {
    List<Future<Void>> inserts = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      Job job = JobStoreContractTest.newJob(JobStoreContractTest.downloadSpec(1), java.time.Instant.now(), null, null);
      inserts.add(store.insert(job, JobStoreContractTest.itemsOf(job)));
    }
    timed("insert 1,000 one-item jobs (8 connections)", () -> Future.all(inserts).await());

    double[] ones = new double[200];
    for (int i = 0; i < ones.length; i++) {
      long t0 = System.nanoTime();
      assertThat(store.claim("replica-x", 1, 30_000).await()).hasSize(1);
      ones[i] = (System.nanoTime() - t0) / 1e6;
    }
    Arrays.sort(ones);
    System.out.printf("[bulk] claim(max 1) with ~900 queued: p50 %.2f ms, p95 %.2f ms, max %.2f ms%n",
        ones[100], ones[190], ones[199]);
    var ten = timed("claim(max 10)", () -> store.claim("replica-x", 10, 30_000).await());
    assertThat(ten).hasSize(10);
    timed("countQueued", () -> store.countQueued().await());
    List<String> ids = ten.stream().map(c -> c.job().id()).toList();
    timed("renew 10 leases", () -> store.renew("replica-x", ids, 30_000).await());
    assertThat(ones[100]).as("median claim, ms").isLessThan(500);
  }
}
