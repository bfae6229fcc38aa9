package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fetchd.store.WebhookStore.Attempt;
import dev.fetchd.store.WebhookStore.Delivery;
import dev.fetchd.store.WebhookStore.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery store contract, passed by the in-memory store and the PostgreSQL one alike: recording, claiming
 * under a lease (never the same delivery to two claims), fenced outcomes, retries when due, a lease that runs out
 * (the claiming replica died), listing with cursors, and removal with the job. {@code a} and {@code b} stand for
 * two replicas (in memory: the one store).
 */
abstract class WebhookStoreContractTest {
  static Vertx vertx;
  JobDriver driverA;
  WebhookStore a;
  WebhookStore b;

  /** Two replicas' drivers on empty delivery tables. */
  protected abstract JobDriver[] open();

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().await();
  }

  @BeforeEach
  void openStores() {
    JobDriver[] d = open();
    driverA = d[0];
    a = d[0].webhooks();
    b = d[1].webhooks();
  }

  private static Delivery delivery(String jobId) {
    return Delivery.pending("msg_" + UUID.randomUUID(), jobId, "job.completed", "https://example.com/h",
        "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "{\"type\":\"job.completed\",\"n\":\"\\u00e9\"}");
  }

  private static <T> T await(Future<T> f) {
    return f.await();
  }

  private List<Delivery> listed(WebhookStore s, String jobId) {
    return await(s.deliveries(jobId, 100, null)).entries();
  }

  /** Claims until {@code n} deliveries came back or two seconds passed (due times are the store's clock). */
  private List<Delivery> claimWithin(WebhookStore s, int n, long leaseMs) throws InterruptedException {
    List<Delivery> got = new ArrayList<>();
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (got.size() < n && System.nanoTime() < deadline) {
      got.addAll(await(s.claimDue(n - got.size(), leaseMs)));
      if (got.size() < n) {
        Thread.sleep(10);
      }
    }
    return got;
  }

  @Test
  void aDeliveryRecordedTwiceUnderOneIdIsOneDeliveryAsFirstRecorded() throws InterruptedException {
    Delivery first = delivery("job-twice");
    await(a.addDelivery(first));
    await(b.addDelivery(Delivery.pending(first.id(), "job-twice", "job.completed", "https://example.com/h",
        "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "{\"second\":true}")));
    assertThat(listed(a, "job-twice")).singleElement().satisfies(d -> assertThat(d.body()).isEqualTo(first.body()));
    assertThat(claimWithin(b, 2, 60_000)).hasSize(1);
  }

  @Test
  void aRecordedDeliveryIsListedPendingAndDueAtOnce() {
    Delivery d = delivery("job-1");
    await(a.addDelivery(d));
    await(a.addDelivery(delivery("job-2")));
    List<Delivery> listed = listed(b, "job-1");
    assertThat(listed).hasSize(1);
    Delivery l = listed.get(0);
    assertThat(l.id()).isEqualTo(d.id());
    assertThat(l.event()).isEqualTo("job.completed");
    assertThat(l.body()).isEqualTo(d.body());
    assertThat(l.secret()).isEqualTo(d.secret());
    assertThat(l.status()).isEqualTo(Status.PENDING);
    assertThat(l.attempts()).isZero();
    assertThat(l.nextAttemptAt()).isNotNull();
    assertThat(l.createdAt()).isNotNull();
    assertThat(l.lastStatus()).isNull();

    List<Delivery> claimed = await(b.claimDue(10, 30_000));
    assertThat(claimed).extracting(Delivery::jobId).containsExactlyInAnyOrder("job-1", "job-2");
    assertThat(claimed).allSatisfy(c -> assertThat(c.attempts()).isEqualTo(1));
    assertThat(await(a.claimDue(10, 30_000))).as("claimed deliveries are not due while their lease holds").isEmpty();
  }

  @Test
  void aSucceededAttemptEndsTheDeliveryAndALateOrStaleOneChangesNothing() {
    Delivery d = delivery("job-s");
    await(a.addDelivery(d));
    Delivery c = await(a.claimDue(1, 30_000)).get(0);
    assertThat(await(a.attempted(new Attempt(d.id(), 0, Status.SUCCEEDED, 200, null, 0)))).isFalse();
    assertThat(await(a.attempted(new Attempt(d.id(), c.attempts(), Status.SUCCEEDED, 204, null, 0)))).isTrue();
    assertThat(await(b.attempted(new Attempt(d.id(), c.attempts(), Status.FAILED, 500, "late", 0)))).isFalse();
    Delivery l = listed(b, "job-s").get(0);
    assertThat(l.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(l.attempts()).isEqualTo(1);
    assertThat(l.lastStatus()).isEqualTo(204);
    assertThat(l.lastError()).isNull();
    assertThat(l.nextAttemptAt()).isNull();
    assertThat(l.body()).as("nothing will send it again").isEmpty();
    assertThat(l.secret()).isEmpty();
    assertThat(await(b.claimDue(10, 30_000))).isEmpty();
  }

  @Test
  void aFailedAttemptIsDueAgainAfterItsWaitAndKeepsWhatItGot() throws Exception {
    Delivery d = delivery("job-r");
    await(a.addDelivery(d));
    Delivery c = await(a.claimDue(1, 30_000)).get(0);
    assertThat(await(a.attempted(new Attempt(d.id(), c.attempts(), Status.PENDING, 500, "HTTP 500", 300)))).isTrue();
    Delivery l = listed(a, "job-r").get(0);
    assertThat(l.status()).isEqualTo(Status.PENDING);
    assertThat(l.lastStatus()).isEqualTo(500);
    assertThat(l.lastError()).isEqualTo("HTTP 500");
    assertThat(await(b.claimDue(10, 30_000))).as("not due before its wait").isEmpty();
    List<Delivery> again = claimWithin(b, 1, 30_000);
    assertThat(again).hasSize(1);
    assertThat(again.get(0).attempts()).isEqualTo(2);
    assertThat(await(b.attempted(new Attempt(d.id(), 2, Status.FAILED, null, "no answer", 0)))).isTrue();
    assertThat(listed(a, "job-r").get(0).status()).isEqualTo(Status.FAILED);
    assertThat(listed(a, "job-r").get(0).nextAttemptAt()).isNull();
  }

  @Test
  void aDeliveryWhoseClaimerDiedIsDueAgainWhenItsLeaseRunsOut() throws Exception {
    Delivery d = delivery("job-l");
    await(a.addDelivery(d));
    Delivery first = await(a.claimDue(1, 200)).get(0);
    // replica a never records an outcome; after the lease, b takes the delivery over
    List<Delivery> taken = claimWithin(b, 1, 30_000);
    assertThat(taken).extracting(Delivery::id).containsExactly(d.id());
    assertThat(taken.get(0).attempts()).isEqualTo(2);
    assertThat(await(a.attempted(new Attempt(d.id(), first.attempts(), Status.SUCCEEDED, 200, null, 0))))
        .as("the replica that lost the lease records nothing").isFalse();
    assertThat(await(b.attempted(new Attempt(d.id(), 2, Status.SUCCEEDED, 200, null, 0)))).isTrue();
  }

  @Test
  void concurrentClaimsNeverReturnTheSameDelivery() {
    for (int i = 0; i < 40; i++) {
      await(a.addDelivery(delivery("job-c")));
    }
    List<Future<List<Delivery>>> claims = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      claims.add((i % 2 == 0 ? a : b).claimDue(7, 30_000));
    }
    Set<String> ids = new HashSet<>();
    int total = 0;
    for (Future<List<Delivery>> f : claims) {
      for (Delivery d : await(f)) {
        ids.add(d.id());
        total++;
      }
    }
    assertThat(total).isEqualTo(ids.size());
    assertThat(total).isLessThanOrEqualTo(40);
    assertThat(ids.size() + await(a.claimDue(100, 30_000)).size()).isEqualTo(40);
  }

  @Test
  void aJobsDeliveriesArePagedInOrderAndGoWithTheJob() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Delivery d = delivery("job-p");
      ids.add(d.id());
      await(a.addDelivery(d));
    }
    await(a.addDelivery(delivery("job-other")));
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<Delivery> page = await(b.deliveries("job-p", 2, cursor));
      page.entries().forEach(d -> seen.add(d.id()));
      cursor = page.next();
      pages++;
    } while (cursor != null);
    assertThat(seen).containsExactlyElementsOf(ids);
    assertThat(pages).isEqualTo(3);
    assertThat(await(b.deliveries("nobody", 10, null)).entries()).isEmpty();
    assertThatThrownBy(() -> await(b.deliveries("job-p", 10, "not-a-cursor"))).isInstanceOf(IllegalArgumentException.class);

    await(driverA.delete("job-p"));
    assertThat(listed(b, "job-p")).isEmpty();
    assertThat(listed(b, "job-other")).hasSize(1);
  }
}
