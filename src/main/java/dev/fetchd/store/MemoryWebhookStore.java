package dev.fetchd.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Deliveries in memory, for the one-replica store: lost at restart with the jobs they belong to. Pending ones
 * are kept in due order, so a claim looks at the due ones only. Used from one event loop only, like
 * {@link MemoryJobStore}.
 */
final class MemoryWebhookStore implements WebhookStore {

  private record Row(long seq, Delivery d) {
  }

  private final Map<String, Row> byId = new HashMap<>();
  private final Map<String, TreeMap<Long, String>> byJob = new HashMap<>();
  private final TreeSet<Row> pending = new TreeSet<>(
      Comparator.comparing((Row r) -> r.d().nextAttemptAt()).thenComparingLong(Row::seq));
  private long seq;

  @Override
  public Future<Void> addDelivery(Delivery d) {
    if (byId.containsKey(d.id())) {
      return Future.succeededFuture();
    }
    Instant now = Instant.now();
    Row row = new Row(++seq, new Delivery(d.id(), d.jobId(), d.event(), d.url(), d.secret(), d.body(), Status.PENDING,
        0, null, null, now, now, now));
    byId.put(d.id(), row);
    byJob.computeIfAbsent(d.jobId(), k -> new TreeMap<>()).put(row.seq(), d.id());
    pending.add(row);
    return Future.succeededFuture();
  }

  @Override
  public Future<List<Delivery>> claimDue(int max, long leaseMs) {
    Instant now = Instant.now();
    List<Row> due = new ArrayList<>();
    for (Row r : pending) {
      if (due.size() == max || r.d().nextAttemptAt().isAfter(now)) {
        break;
      }
      due.add(r);
    }
    List<Delivery> claimed = new ArrayList<>(due.size());
    for (Row r : due) {
      Delivery d = r.d();
      claimed.add(replace(r, new Delivery(d.id(), d.jobId(), d.event(), d.url(), d.secret(), d.body(), Status.PENDING,
          d.attempts() + 1, d.lastStatus(), d.lastError(), now.plusMillis(leaseMs), d.createdAt(), now)));
    }
    return Future.succeededFuture(claimed);
  }

  @Override
  public Future<Boolean> attempted(Attempt a) {
    Row r = byId.get(a.id());
    if (r == null || r.d().status() != Status.PENDING || r.d().attempts() != a.attempt()) {
      return Future.succeededFuture(false);
    }
    Delivery d = r.d();
    Instant now = Instant.now();
    boolean done = a.status() != Status.PENDING;
    // a delivery that is done keeps what it got, not its body nor its secret: nothing will send it again
    replace(r, new Delivery(d.id(), d.jobId(), d.event(), d.url(), done ? "" : d.secret(), done ? "" : d.body(),
        a.status(), d.attempts(),
        a.httpStatus(), a.error(), a.status() == Status.PENDING ? now.plusMillis(a.retryInMs()) : null, d.createdAt(),
        now));
    return Future.succeededFuture(true);
  }

  private Delivery replace(Row old, Delivery d) {
    if (old.d().status() == Status.PENDING) {
      pending.remove(old);
    }
    Row row = new Row(old.seq(), d);
    byId.put(d.id(), row);
    if (d.status() == Status.PENDING) {
      pending.add(row);
    }
    return d;
  }

  @Override
  public Future<Page<Delivery>> deliveries(String jobId, int limit, String cursor) {
    long after;
    try {
      after = WebhookStore.after(cursor);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    List<Delivery> page = new ArrayList<>();
    String next = null;
    long last = after;
    for (Map.Entry<Long, String> e : byJob.getOrDefault(jobId, new TreeMap<>()).tailMap(after, false).entrySet()) {
      if (page.size() == limit) {
        next = Cursors.encode(WebhookStore.CURSOR, last);
        break;
      }
      page.add(byId.get(e.getValue()).d());
      last = e.getKey();
    }
    return Future.succeededFuture(new Page<>(page, next));
  }

  /** Whether a job has a delivery still pending (its job is kept past retention until none is). */
  boolean hasPending(String jobId) {
    return any(jobId, d -> d.status() == Status.PENDING);
  }

  /** Whether a delivery of {@code event} is recorded for the job (in any status). */
  boolean has(String jobId, String event) {
    return any(jobId, d -> d.event().equals(event));
  }

  private boolean any(String jobId, java.util.function.Predicate<Delivery> test) {
    TreeMap<Long, String> ids = byJob.get(jobId);
    return ids != null && ids.values().stream().anyMatch(id -> test.test(byId.get(id).d()));
  }

  @Override
  public Future<Void> deleteDeliveries(String jobId) {
    TreeMap<Long, String> ids = byJob.remove(jobId);
    if (ids != null) {
      for (String id : ids.values()) {
        Row r = byId.remove(id);
        if (r.d().status() == Status.PENDING) {
          pending.remove(r);
        }
      }
    }
    return Future.succeededFuture();
  }
}
