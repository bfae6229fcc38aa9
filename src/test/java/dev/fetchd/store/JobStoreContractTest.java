package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.CrawlOptions;
import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemKind;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobState;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import dev.fetchd.job.Progress;
import dev.fetchd.job.Webhook;
import dev.fetchd.job.WebhookEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link JobStore} must do, whatever keeps the data. A store passes by extending this class
 * and saying how to open an empty store. The tests run on the test thread and wait with {@code await()}:
 * the store's futures complete on Vert.x threads.
 *
 * <p>Jobs are compared field by field after a round trip, except the URL list of the spec, of which only
 * the size is kept by a store that has the URLs as items. Timestamps are kept to the microsecond.
 */
abstract class JobStoreContractTest {
  protected static Vertx vertx;
  protected JobStore store;

  /** An empty, initialised store. */
  protected abstract JobStore openStore();

  protected void closeStore(JobStore store) {
    store.close().await();
  }

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close().await();
  }

  @BeforeEach
  void open() {
    store = openStore();
  }

  @AfterEach
  void close() {
    closeStore(store);
  }

  // ---- building blocks ---------------------------------------------------------------------------------

  static final Instant T0 = Instant.parse("2026-03-01T10:00:00.123456Z");
  static final Limits LIMITS = new Limits(8, 4, 250, 30_000, 3_600_000, 100L << 20, 2);

  static JobSpec downloadSpec(int urls) {
    List<String> list = new ArrayList<>();
    for (int i = 0; i < urls; i++) {
      list.add("https://example.com/file/" + i + "?q=" + i);
    }
    return new JobSpec(JobType.DOWNLOAD, list, LIMITS, null, 0, Map.of());
  }

  static Job newJob(JobSpec spec, Instant createdAt, String idempotencyKey, String owner) {
    return new Job(UUID.randomUUID().toString(), spec, createdAt, idempotencyKey,
        idempotencyKey == null ? null : "hash-" + idempotencyKey, owner);
  }

  static List<Item> itemsOf(Job job) {
    List<Item> items = new ArrayList<>();
    for (String url : job.spec().urls()) {
      items.add(new Item(job.id(), items.size(), ItemKind.FILE, url, 0, null));
      job.progress().added(ItemKind.FILE, ItemState.QUEUED);
    }
    return items;
  }

  /** Inserts a queued job of {@code urls} URLs and returns it. */
  Job submit(int urls) {
    return submit(urls, null, null);
  }

  Job submit(int urls, String idempotencyKey, String owner) {
    Job job = newJob(downloadSpec(urls), T0, idempotencyKey, owner);
    store.insert(job, itemsOf(job)).await();
    return job;
  }

  /** Inserts a job already in {@code state} (finished at {@code finishedAt} when terminal). */
  Job insertIn(JobState state, Instant finishedAt) {
    return insertIn(downloadSpec(1), state, finishedAt);
  }

  private Job insertIn(JobSpec spec, JobState state, Instant finishedAt) {
    Job job = newJob(spec, T0, null, null);
    List<Item> items = itemsOf(job);
    if (state != JobState.QUEUED) {
      job.restore(state, T0.plusSeconds(1), state.isTerminal() ? finishedAt : null,
          state == JobState.FAILED ? new JobError("failed", "could not run") : null);
    }
    store.insert(job, items).await();
    return job;
  }

  static Throwable failure(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected the future to fail, it succeeded");
  }

  /** Everything a job says about itself, as comparable values (the spec's URLs by count only). */
  static Map<String, Object> view(Job j) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", j.id());
    m.put("type", j.type());
    m.put("state", j.state());
    m.put("createdAt", j.createdAt());
    m.put("startedAt", j.startedAt());
    m.put("finishedAt", j.finishedAt());
    m.put("error", j.error());
    m.put("idempotencyKey", j.idempotencyKey());
    m.put("requestHash", j.requestHash());
    m.put("owner", j.owner());
    Progress p = j.progress();
    Map<String, Long> counts = new LinkedHashMap<>();
    for (ItemKind kind : ItemKind.values()) {
      for (ItemState state : ItemState.values()) {
        counts.put(kind.wire() + ":" + state.wire(), p.count(kind, state));
      }
    }
    counts.put("bytes", p.bytes());
    m.put("progress", counts);
    JobSpec s = j.spec();
    m.put("spec", List.of(s.type(), s.urls().size(), s.limits(), String.valueOf(s.crawl()), s.priority(), s.labels()));
    return m;
  }

  static Map<String, Object> view(Item i) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jobId", i.jobId());
    m.put("index", i.index());
    m.put("kind", i.kind());
    m.put("url", i.url());
    m.put("depth", i.depth());
    m.put("parent", i.parent());
    m.put("state", i.state());
    m.put("finalUrl", i.finalUrl());
    m.put("status", i.status());
    m.put("contentType", i.contentType());
    m.put("bytes", i.bytes());
    m.put("sha256", i.sha256());
    m.put("error", i.error());
    m.put("attempts", i.attempts());
    m.put("durationMs", i.durationMs());
    m.put("storedFile", i.storedFile());
    m.put("unchanged", i.unchanged());
    return m;
  }

  static List<Map<String, Object>> itemViews(List<Item> items) {
    return items.stream().map(JobStoreContractTest::view).toList();
  }

  static List<String> ids(Page<Job> page) {
    return page.entries().stream().map(Job::id).toList();
  }

  // ---- jobs ------------------------------------------------------------------------------------------

  @Test
  void aJobReadsBackWithEveryField() {
    JobSpec spec = new JobSpec(JobType.CRAWL, List.of("https://a.example/", "https://b.example/x"),
        new Limits(3, 2, 100, 5_000, 60_000, 1_000_000, 1),
        new CrawlOptions(3, 50, CrawlOptions.Scope.DOMAIN, List.of("^https://a\\.example/.*"), List.of("\\.pdf$"),
            true, false),
        -7, Map.of("team", "search", "env", "ci \"quoted\"")).since("an-earlier-job");
    Job job = new Job(UUID.randomUUID().toString(), spec, T0, "key-1", "hash-1", "owner-a");
    List<Item> items = itemsOf(job);
    store.insert(job, items).await();

    Job read = store.get(job.id()).await();
    assertThat(view(read)).isEqualTo(view(job));
    assertThat(read.spec().since()).isEqualTo("an-earlier-job");
    assertThat(read.state()).isEqualTo(JobState.QUEUED);
    assertThat(read.progress().total()).isEqualTo(2);
    assertThat(itemViews(store.allItems(job.id()).await())).isEqualTo(itemViews(items));
  }

  @Test
  void unknownIdsGiveNullRatherThanFailing() {
    submit(2);
    String unknown = UUID.randomUUID().toString();
    assertThat(store.get(unknown).await()).isNull();
    assertThat(store.items(unknown, null, 10, null).await()).isNull();
    assertThat(store.item(unknown, 0).await()).isNull();
    assertThat(store.allItems(unknown).await()).isEmpty();
    assertThat(store.findByIdempotencyKey("no-such-key").await()).isNull();
  }

  @Test
  void anItemIndexOutsideTheJobGivesNull() {
    Job job = submit(2);
    assertThat(store.item(job.id(), 2).await()).isNull();
    assertThat(store.item(job.id(), -1).await()).isNull();
    assertThat(store.item(job.id(), 1).await().url()).isEqualTo("https://example.com/file/1?q=1");
  }

  @Test
  void listIsNewestFirstAndCursorsWalkEveryJobOnce() {
    List<String> inserted = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      inserted.add(submit(1).id());
    }
    List<String> newestFirst = new ArrayList<>(inserted);
    java.util.Collections.reverse(newestFirst);

    Page<Job> p1 = store.list(null, null, 3, null).await();
    Page<Job> p2 = store.list(null, null, 3, p1.next()).await();
    Page<Job> p3 = store.list(null, null, 3, p2.next()).await();
    assertThat(ids(p1)).isEqualTo(newestFirst.subList(0, 3));
    assertThat(ids(p2)).isEqualTo(newestFirst.subList(3, 6));
    assertThat(ids(p3)).isEqualTo(newestFirst.subList(6, 7));
    assertThat(p1.next()).isNotNull();
    assertThat(p2.next()).isNotNull();
    assertThat(p3.next()).isNull();
  }

  @Test
  void theLastPageHasNoCursorEvenWhenItIsFull() {
    for (int i = 0; i < 4; i++) {
      submit(1);
    }
    Page<Job> p1 = store.list(null, null, 2, null).await();
    Page<Job> p2 = store.list(null, null, 2, p1.next()).await();
    assertThat(p2.entries()).hasSize(2);
    assertThat(p2.next()).isNull();
    assertThat(store.list(null, null, 4, null).await().next()).isNull();
  }

  @Test
  void listFiltersByStateAcrossPages() {
    List<String> completed = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      completed.add(insertIn(JobState.COMPLETED, T0.plusSeconds(60)).id());
      insertIn(JobState.QUEUED, null);
      insertIn(JobState.RUNNING, null);
    }
    java.util.Collections.reverse(completed);
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<Job> page = store.list(JobState.COMPLETED, null, 2, cursor).await();
      page.entries().forEach(j -> assertThat(j.state()).isEqualTo(JobState.COMPLETED));
      seen.addAll(ids(page));
      cursor = page.next();
      pages++;
    } while (cursor != null);
    assertThat(seen).isEqualTo(completed);
    assertThat(pages).isEqualTo(3);
    assertThat(store.list(JobState.TIMED_OUT, null, 10, null).await().entries()).isEmpty();
  }

  @Test
  void listFiltersByOwner() {
    Job a1 = submit(1, null, "alice");
    submit(1, null, "bob");
    Job a2 = submit(1, null, "alice");
    submit(1, null, null);
    assertThat(ids(store.list(null, "alice", 10, null).await())).containsExactly(a2.id(), a1.id());
    assertThat(ids(store.list(null, null, 10, null).await())).hasSize(4);
    assertThat(ids(store.list(JobState.QUEUED, "carol", 10, null).await())).isEmpty();
  }

  @Test
  void aCursorTheStoreDidNotMakeFailsWithIllegalArgument() {
    Job job = submit(3);
    assertThat(failure(store.list(null, null, 10, "not a cursor!"))).isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(store.list(null, null, 10, Cursors.encode("items", 1))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(store.items(job.id(), null, 10, "%%%"))).isInstanceOf(IllegalArgumentException.class);
    assertThat(failure(store.items(job.id(), null, 10, Cursors.encode("jobs", 1))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theIdempotencyKeyFindsItsJob() {
    submit(1, "other-key", null);
    Job job = submit(2, "key-42", "alice");
    Job found = store.findByIdempotencyKey("key-42").await();
    assertThat(view(found)).isEqualTo(view(job));
    assertThat(found.requestHash()).isEqualTo("hash-key-42");
  }

  @Test
  void aDuplicateJobIdIsRefused() {
    Job job = submit(1);
    Job again = new Job(job.id(), downloadSpec(1), T0, null, null, null);
    assertThat(failure(store.insert(again, itemsOf(again)))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void updateJobSavesStateTimestampsErrorAndProgress() {
    Job job = submit(3);
    Instant started = T0.plusMillis(1500);
    job.moveTo(JobState.RUNNING, started, null);
    job.progress().moved(ItemKind.FILE, ItemState.QUEUED, ItemState.RUNNING);
    store.updateJob(job).await();
    Job running = store.get(job.id()).await();
    assertThat(view(running)).isEqualTo(view(job));
    assertThat(running.startedAt()).isEqualTo(started);

    job.progress().moved(ItemKind.FILE, ItemState.RUNNING, ItemState.SUCCEEDED);
    job.progress().addBytes(12_345);
    job.progress().unchangedItem();
    job.progress().moved(ItemKind.FILE, ItemState.QUEUED, ItemState.FAILED);
    job.progress().moved(ItemKind.FILE, ItemState.QUEUED, ItemState.CANCELLED);
    job.progress().added(ItemKind.PAGE, ItemState.SKIPPED);
    job.progress().added(ItemKind.ASSET, ItemState.SUCCEEDED);
    job.moveTo(JobState.TIMED_OUT, T0.plusSeconds(61), new JobError("timed_out", "job deadline of 60000 ms passed"));
    store.updateJob(job).await();
    Job ended = store.get(job.id()).await();
    assertThat(view(ended)).isEqualTo(view(job));
    assertThat(ended.error()).isEqualTo(new JobError("timed_out", "job deadline of 60000 ms passed"));
    assertThat(ended.progress().bytes()).isEqualTo(12_345);
    assertThat(ended.progress().unchanged()).isEqualTo(1);
    assertThat(store.list(JobState.TIMED_OUT, null, 10, null).await().entries()).extracting(Job::id)
        .containsExactly(job.id());
  }

  @Test
  void whatTheStoreHandsOutChangesNothingUntilSaved() {
    Job job = submit(2);
    Job read = store.get(job.id()).await();
    read.moveTo(JobState.RUNNING, T0.plusSeconds(1), null);
    read.progress().addBytes(99);
    Item item = store.item(job.id(), 0).await();
    item.state(ItemState.SUCCEEDED);
    store.allItems(job.id()).await().get(1).state(ItemState.FAILED);
    job.progress().addBytes(7); // the submitter's own object, too

    assertThat(store.get(job.id()).await().state()).isEqualTo(JobState.QUEUED);
    assertThat(store.get(job.id()).await().progress().bytes()).isZero();
    assertThat(store.allItems(job.id()).await()).extracting(Item::state)
        .containsExactly(ItemState.QUEUED, ItemState.QUEUED);

    store.updateJob(read).await();
    store.updateItems(List.of(item)).await();
    assertThat(store.get(job.id()).await().state()).isEqualTo(JobState.RUNNING);
    assertThat(store.get(job.id()).await().progress().bytes()).isEqualTo(99);
    assertThat(store.item(job.id(), 0).await().state()).isEqualTo(ItemState.SUCCEEDED);
  }

  // ---- items -----------------------------------------------------------------------------------------

  @Test
  void itemsComeInIndexOrderFilteredAndPaged() {
    Job job = submit(10);
    List<Item> items = store.allItems(job.id()).await();
    List<Item> changed = new ArrayList<>();
    for (Item it : items) {
      if (it.index() % 3 == 0) {
        it.state(ItemState.SUCCEEDED);
        changed.add(it);
      }
    }
    store.updateItems(changed).await();

    List<Integer> all = new ArrayList<>();
    String cursor = null;
    do {
      Page<Item> page = store.items(job.id(), null, 4, cursor).await();
      page.entries().forEach(i -> all.add(i.index()));
      cursor = page.next();
    } while (cursor != null);
    assertThat(all).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

    Page<Item> s1 = store.items(job.id(), ItemState.SUCCEEDED, 2, null).await();
    assertThat(s1.entries()).extracting(Item::index).containsExactly(0, 3);
    Page<Item> s2 = store.items(job.id(), ItemState.SUCCEEDED, 2, s1.next()).await();
    assertThat(s2.entries()).extracting(Item::index).containsExactly(6, 9);
    assertThat(s2.next()).isNull();
    Page<Item> q = store.items(job.id(), ItemState.QUEUED, 100, null).await();
    assertThat(q.entries()).extracting(Item::index).containsExactly(1, 2, 4, 5, 7, 8);
    assertThat(q.next()).isNull();
  }

  @Test
  void anEmptyPageOfAKnownJobIsAPageNotNull() {
    Job job = submit(2);
    Page<Item> none = store.items(job.id(), ItemState.FAILED, 10, null).await();
    assertThat(none).isNotNull();
    assertThat(none.entries()).isEmpty();
    assertThat(none.next()).isNull();
  }

  @Test
  void updateItemsSavesEveryOutcomeField() {
    Job job = submit(3);
    List<Item> items = store.allItems(job.id()).await();
    Item ok = items.get(0);
    ok.state(ItemState.SUCCEEDED);
    ok.attemptStarted();
    ok.response("https://example.com/final/0", 200, "text/html; charset=utf-8");
    ok.stored(job.id() + "/0", 4096, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    ok.durationMs(87L);
    Item same = items.get(1);
    same.state(ItemState.SUCCEEDED);
    same.attemptStarted();
    same.response("https://example.com/file/1", 304, "text/plain");
    same.stored("earlier-job/1", 10, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    same.unchanged(true);
    Item bad = items.get(2);
    bad.state(ItemState.FAILED);
    bad.attempts(3);
    bad.response("https://example.com/file/2?q=2", 503, null);
    bad.error(new ItemError(ErrorCode.HTTP_STATUS, "HTTP 503 after 3 attempts"));
    bad.durationMs(1234L);
    store.updateItems(List.of(ok, same, bad)).await();

    assertThat(view(store.item(job.id(), 0).await())).isEqualTo(view(ok));
    assertThat(view(store.item(job.id(), 2).await())).isEqualTo(view(bad));
    assertThat(itemViews(store.allItems(job.id()).await())).isEqualTo(itemViews(items));
    assertThat(store.item(job.id(), 1).await().unchanged()).isTrue();
    assertThat(store.item(job.id(), 0).await().unchanged()).isFalse();
  }

  @Test
  void addItemsAppendsDiscoveredItemsInIndexOrder() {
    Job job = submit(1);
    List<Item> found = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      Item it = new Item(job.id(), i, i == 2 ? ItemKind.ASSET : ItemKind.PAGE, "https://example.com/page/" + i, 1,
          "https://example.com/file/0?q=0");
      found.add(it);
    }
    found.get(2).state(ItemState.SKIPPED);
    found.get(2).error(new ItemError(ErrorCode.ROBOTS, "disallowed by robots.txt"));
    store.addItems(found.subList(0, 2)).await();
    store.addItems(found.subList(2, 3)).await();

    List<Item> all = store.allItems(job.id()).await();
    assertThat(all).extracting(Item::index).containsExactly(0, 1, 2, 3);
    assertThat(itemViews(all.subList(1, 4))).isEqualTo(itemViews(found));
    assertThat(store.items(job.id(), ItemState.SKIPPED, 10, null).await().entries()).extracting(Item::index)
        .containsExactly(3);
  }

  @Test
  void itemsOfAJobThatIsGoneAreDropped() {
    Job job = submit(1);
    store.delete(job.id()).await();
    store.addItems(List.of(new Item(job.id(), 1, ItemKind.PAGE, "https://example.com/x", 1, null))).await();
    assertThat(store.items(job.id(), null, 10, null).await()).isNull();
  }

  // ---- retention -------------------------------------------------------------------------------------

  @Test
  void finishedBeforeListsOnlyTerminalJobsFinishedBeforeTheCutoff() {
    Instant cutoff = T0.plus(1, ChronoUnit.HOURS);
    Job a = insertIn(JobState.COMPLETED, cutoff.minusSeconds(600));
    Job b = insertIn(JobState.FAILED, cutoff.minusMillis(1));
    Job c = insertIn(JobState.CANCELLED, cutoff.minusSeconds(1));
    insertIn(JobState.TIMED_OUT, cutoff.plusSeconds(1));
    insertIn(JobState.RUNNING, null);
    insertIn(JobState.QUEUED, null);

    assertThat(store.finishedBefore(cutoff, 100).await()).containsExactlyInAnyOrder(a.id(), b.id(), c.id());
    List<String> two = store.finishedBefore(cutoff, 2).await();
    assertThat(two).hasSize(2);
    assertThat(Set.of(a.id(), b.id(), c.id())).containsAll(two);
    assertThat(new HashSet<>(two)).hasSize(2);
  }

  @Test
  void aJobWhoseWebhookDeliveriesArePendingIsKeptPastRetentionUntilTheyEnd() {
    if (!(store instanceof JobDriver driver)) {
      return; // only a driver keeps deliveries
    }
    Instant cutoff = T0.plus(1, ChronoUnit.HOURS);
    Job a = insertIn(JobState.COMPLETED, cutoff.minusSeconds(600));
    Job b = insertIn(JobState.COMPLETED, cutoff.minusSeconds(600));
    WebhookStore hooks = driver.webhooks();
    WebhookStore.Delivery d = WebhookStore.Delivery.pending("msg_" + UUID.randomUUID(), a.id(), "job.completed",
        "https://example.com/h", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "{}");
    hooks.addDelivery(d).await();
    assertThat(store.finishedBefore(cutoff, 100).await()).as("a's delivery is still being retried")
        .containsExactly(b.id());
    WebhookStore.Delivery claimed = hooks.claimDue(1, 30_000).await().get(0);
    hooks.attempted(new WebhookStore.Attempt(d.id(), claimed.attempts(), WebhookStore.Status.SUCCEEDED, 200, null, 0))
        .await();
    assertThat(store.finishedBefore(cutoff, 100).await()).containsExactlyInAnyOrder(a.id(), b.id());
  }

  /** A job in {@code state}, finished at {@code finishedAt}, whose webhook wants {@code events}. */
  Job insertWithWebhook(JobState state, Instant finishedAt, WebhookEvent... events) {
    Webhook hook = new Webhook("https://example.com/h", List.of(events), "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0");
    JobSpec spec = new JobSpec(JobType.DOWNLOAD, List.of("https://example.com/a"), LIMITS, null, 0, Map.of(), null,
        hook);
    return insertIn(spec, state, finishedAt);
  }

  @Test
  void endedWithoutEndEventListsFinishedJobsWhoseWebhookWantsAnEventNotRecorded() {
    if (!(store instanceof JobDriver driver)) {
      return; // only a driver keeps deliveries
    }
    Instant cutoff = T0.plus(1, ChronoUnit.HOURS);
    Job missed = insertWithWebhook(JobState.COMPLETED, cutoff.minusSeconds(60), WebhookEvent.JOB_COMPLETED);
    Job timedOut = insertWithWebhook(JobState.TIMED_OUT, cutoff.minusSeconds(120), WebhookEvent.JOB_TIMED_OUT,
        WebhookEvent.ITEM_FAILED);
    Job recorded = insertWithWebhook(JobState.COMPLETED, cutoff.minusSeconds(60), WebhookEvent.JOB_COMPLETED);
    insertWithWebhook(JobState.FAILED, cutoff.minusSeconds(60), WebhookEvent.JOB_COMPLETED); // does not want job.failed
    insertWithWebhook(JobState.COMPLETED, cutoff.plusSeconds(1), WebhookEvent.JOB_COMPLETED); // too recent
    insertWithWebhook(JobState.RUNNING, null, WebhookEvent.JOB_COMPLETED);
    insertIn(JobState.COMPLETED, cutoff.minusSeconds(60)); // no webhook
    WebhookStore hooks = driver.webhooks();
    // an item.failed delivery of the timed-out job is not its end event
    hooks.addDelivery(WebhookStore.Delivery.pending("msg_i", timedOut.id(), "item.failed", "https://example.com/h",
        "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "{}")).await();
    hooks.addDelivery(WebhookStore.Delivery.pending("msg_r", recorded.id(), "job.completed", "https://example.com/h",
        "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "{}")).await();

    assertThat(store.endedWithoutEndEvent(null, cutoff, 100).await()).containsExactlyInAnyOrder(missed.id(), timedOut.id());
    assertThat(store.endedWithoutEndEvent(cutoff.minusSeconds(61), cutoff, 100).await()).as("ended after")
        .containsExactlyInAnyOrder(missed.id());
    assertThat(store.endedWithoutEndEvent(cutoff.minusSeconds(59), cutoff, 100).await()).isEmpty();
    assertThat(store.endedWithoutEndEvent(null, cutoff, 1).await()).hasSize(1);
    hooks.addDelivery(WebhookStore.Delivery.pending("msg_m", missed.id(), "job.completed", "https://example.com/h",
        "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "{}")).await();
    assertThat(store.endedWithoutEndEvent(null, cutoff, 100).await()).containsExactly(timedOut.id());
  }

  @Test
  void deleteRemovesTheJobItsItemsAndItsIdempotencyKey() {
    Job keep = submit(2);
    Job gone = submit(3, "key-gone", null);
    store.delete(gone.id()).await();

    assertThat(store.get(gone.id()).await()).isNull();
    assertThat(store.items(gone.id(), null, 10, null).await()).isNull();
    assertThat(store.item(gone.id(), 0).await()).isNull();
    assertThat(store.allItems(gone.id()).await()).isEmpty();
    assertThat(store.findByIdempotencyKey("key-gone").await()).isNull();
    assertThat(ids(store.list(null, null, 10, null).await())).containsExactly(keep.id());
    assertThat(store.allItems(keep.id()).await()).hasSize(2);
    // the key is free again
    submit(1, "key-gone", null);
    store.delete(UUID.randomUUID().toString()).await();
  }

  // ---- stored bodies -----------------------------------------------------------------------------------

  static final String X = "a1".repeat(32);
  static final String Y = "b2".repeat(32);
  static final String Z = "c3".repeat(32);

  static String blob(String hex) {
    return "sha256/" + hex.substring(0, 2) + "/" + hex;
  }

  /** Saves {@code item} as succeeded with {@code storedFile}. */
  void stored(Item item, String storedFile, long bytes) {
    item.state(ItemState.SUCCEEDED);
    item.stored(storedFile, bytes, FileNames.hashOf(storedFile));
    store.updateItems(List.of(item)).await();
  }

  @Test
  void bodiesAreCountedByTheItemsThatReferToThemAcrossJobsUpdatesAndDeletes() {
    Job a = submit(4);
    List<Item> ai = store.allItems(a.id()).await();
    stored(ai.get(0), blob(X), 10);
    stored(ai.get(1), blob(X), 10); // the same bytes twice in one job
    stored(ai.get(2), blob(Y), 20);
    stored(ai.get(3), a.id() + "/3", 30); // a body stored by an earlier version is not counted
    Job b = submit(1);
    stored(store.allItems(b.id()).await().get(0), blob(X), 10);

    BlobRefs refs = store.blobs();
    assertThat(refs.unreferenced(List.of(X, Y, Z)).await()).containsExactly(Z);
    assertThat(refs.storedBytes().await()).as("each body once").isEqualTo(30);

    // a save that keeps the body changes no count; one that changes it moves a count
    Item again = store.item(a.id(), 0).await();
    again.error(new ItemError(ErrorCode.NOT_PARSED, "note"));
    store.updateItems(List.of(again)).await();
    stored(store.item(a.id(), 1).await(), blob(Y), 20);
    assertThat(refs.unreferenced(List.of(X, Y, Z)).await()).containsExactly(Z);

    // the job's removal takes its items' counts with it: X is still b's, Y was a's only
    store.delete(a.id()).await();
    assertThat(refs.unreferenced(List.of(X, Y, Z)).await()).containsExactlyInAnyOrder(Y, Z);
    assertThat(refs.storedBytes().await()).isEqualTo(10);

    // forgetting a body some item refers to changes nothing
    refs.forget(List.of(X, Y, Z)).await();
    assertThat(refs.unreferenced(List.of(X, Y)).await()).containsExactly(Y);
    store.delete(b.id()).await();
    assertThat(refs.unreferenced(List.of(X, Y, Z)).await()).containsExactlyInAnyOrder(X, Y, Z);
    assertThat(refs.storedBytes().await()).isZero();

    // a body stored again after its record was forgotten is counted afresh
    refs.forget(List.of(X)).await();
    Job c = submit(1);
    stored(store.allItems(c.id()).await().get(0), blob(X), 10);
    assertThat(refs.unreferenced(List.of(X)).await()).isEmpty();
    assertThat(refs.storedBytes().await()).isEqualTo(10);
  }

  @Test
  void itemsInsertedWithABodyAreCounted() {
    Job job = newJob(downloadSpec(2), T0, null, null);
    List<Item> items = itemsOf(job);
    items.get(0).stored(blob(Z), 5, Z);
    items.get(0).state(ItemState.SUCCEEDED);
    store.insert(job, items).await();
    assertThat(store.blobs().unreferenced(List.of(Z)).await()).isEmpty();
    assertThat(store.blobs().storedBytes().await()).isEqualTo(5);
  }

  /** The hash in a content-addressed name, or null. */
  static final class FileNames {
    static String hashOf(String storedFile) {
      return dev.fetchd.files.FileStore.blobHash(storedFile);
    }
  }
}
