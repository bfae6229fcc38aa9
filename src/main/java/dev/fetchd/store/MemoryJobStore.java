package dev.fetchd.store;

import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobState;
import dev.fetchd.job.Progress;
import dev.fetchd.job.Webhook;
import dev.fetchd.job.WebhookEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The embedded default driver: everything in memory, lost at restart, for one replica. It keeps copies and
 * hands out copies, so what it holds changes only through a save, as with PostgreSQL. Leases never expire
 * (nobody else could take a job over) and notifications are local calls. Like the engine, it is used from
 * one event loop only.
 */
public final class MemoryJobStore implements JobDriver {
  private final Map<String, Entry> byId = new HashMap<>();
  private final TreeMap<Long, Entry> bySeq = new TreeMap<>();
  private final Map<String, Entry> byIdempotencyKey = new HashMap<>();
  private final TreeSet<Entry> queued = new TreeSet<>(
      Comparator.comparingInt((Entry e) -> -e.job.spec().priority()).thenComparingLong(e -> e.seq));
  private final HostPermits hostPermits = new MemoryHostPermits();
  private final MemoryWebhookStore webhooks = new MemoryWebhookStore();
  private final MemoryBlobRefs blobs = new MemoryBlobRefs();
  private long seq;
  /** Jobs per state, kept as they move: the jobs gauges read it often, and it stays O(1) with many jobs. */
  private final long[] byState = new long[JobState.values().length];
  private Listener listener;
  private Context listenerContext;

  private static final class Entry {
    final long seq;
    Job job;
    final List<Item> items;
    String claimedBy;
    int attempt;
    Instant deadline;
    JobError cancel;

    Entry(long seq, Job job, List<Item> items) {
      this.seq = seq;
      this.job = job;
      this.items = items;
    }
  }

  @Override
  public Future<Void> init() {
    return Future.succeededFuture();
  }

  // ---- JobStore --------------------------------------------------------------------------------------

  @Override
  public Future<Void> insert(Job job, List<Item> items) {
    if (byId.containsKey(job.id())) {
      return Future.failedFuture(new DuplicateJobException("duplicate job id " + job.id(), false));
    }
    if (job.idempotencyKey() != null && byIdempotencyKey.containsKey(job.idempotencyKey())) {
      return Future.failedFuture(new DuplicateJobException("Idempotency-Key already used by another job", true));
    }
    List<Item> copies = new ArrayList<>(items.size());
    items.forEach(i -> copies.add(i.copy()));
    copies.forEach(i -> blobs.replaced(null, i));
    Entry e = new Entry(++seq, job.copy(), copies);
    byId.put(job.id(), e);
    byState[job.state().ordinal()]++;
    bySeq.put(e.seq, e);
    if (job.idempotencyKey() != null) {
      byIdempotencyKey.put(job.idempotencyKey(), e);
    }
    if (job.state() == JobState.QUEUED) {
      queued.add(e);
      tell(Listener::jobQueued);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Job> findByIdempotencyKey(String key) {
    Entry e = byIdempotencyKey.get(key);
    return Future.succeededFuture(e == null ? null : e.job.copy());
  }

  @Override
  public Future<Job> get(String id) {
    Entry e = byId.get(id);
    return Future.succeededFuture(e == null ? null : e.job.copy());
  }

  @Override
  public Future<Page<Job>> list(JobState state, String owner, int limit, String cursor) {
    long before;
    try {
      before = cursor == null ? Long.MAX_VALUE : Cursors.decode("jobs", cursor);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    NavigableMap<Long, Entry> older = bySeq.headMap(before, false).descendingMap();
    List<Job> out = new ArrayList<>();
    long last = -1;
    boolean more = false;
    for (Entry e : older.values()) {
      if (state != null && e.job.state() != state || owner != null && !owner.equals(e.job.owner())) {
        continue;
      }
      if (out.size() == limit) {
        more = true;
        break;
      }
      out.add(e.job.copy());
      last = e.seq;
    }
    return Future.succeededFuture(new Page<>(out, more ? Cursors.encode("jobs", last) : null));
  }

  /** Unfenced save; like PostgreSQL's, it never moves a job out of a terminal state. */
  @Override
  public Future<Void> updateJob(Job job) {
    Entry e = byId.get(job.id());
    if (e != null && (!e.job.state().isTerminal() || e.job.state() == job.state())) {
      saveJob(e, job);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> addItems(List<Item> items) {
    for (Item item : items) {
      Entry e = byId.get(item.jobId());
      if (e != null) {
        putItem(e, item);
      }
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> updateItems(List<Item> items) {
    return addItems(items);
  }

  @Override
  public Future<Page<Item>> items(String jobId, ItemState state, int limit, String cursor) {
    Entry e = byId.get(jobId);
    if (e == null) {
      return Future.succeededFuture(null);
    }
    int from;
    try {
      from = cursor == null ? 0 : (int) Cursors.decode("items", cursor);
    } catch (IllegalArgumentException ex) {
      return Future.failedFuture(ex);
    }
    List<Item> out = new ArrayList<>();
    int i = Math.max(0, from);
    for (; i < e.items.size() && out.size() < limit; i++) {
      Item it = e.items.get(i);
      if (state == null || it.state() == state) {
        out.add(it.copy());
      }
    }
    // a further page exists only if some later item would match
    boolean more = false;
    for (int j = i; j < e.items.size(); j++) {
      if (state == null || e.items.get(j).state() == state) {
        more = true;
        break;
      }
    }
    return Future.succeededFuture(new Page<>(out, more ? Cursors.encode("items", i) : null));
  }

  @Override
  public Future<List<Item>> allItems(String jobId) {
    Entry e = byId.get(jobId);
    if (e == null) {
      return Future.succeededFuture(List.of());
    }
    List<Item> out = new ArrayList<>(e.items.size());
    e.items.forEach(i -> out.add(i.copy()));
    return Future.succeededFuture(out);
  }

  @Override
  public Future<Item> item(String jobId, int index) {
    Entry e = byId.get(jobId);
    if (e == null || index < 0 || index >= e.items.size()) {
      return Future.succeededFuture(null);
    }
    return Future.succeededFuture(e.items.get(index).copy());
  }

  @Override
  public Future<List<String>> finishedBefore(Instant cutoff, int max) {
    List<String> out = new ArrayList<>();
    for (Entry e : bySeq.values()) {
      Instant f = e.job.finishedAt();
      // a job whose webhook deliveries are still being retried stays until they end (at least once)
      if (e.job.state().isTerminal() && f != null && f.isBefore(cutoff) && !webhooks.hasPending(e.job.id())) {
        out.add(e.job.id());
        if (out.size() >= max) {
          break;
        }
      }
    }
    return Future.succeededFuture(out);
  }

  @Override
  public Future<List<String>> endedWithoutEndEvent(Instant after, Instant cutoff, int max) {
    List<String> out = new ArrayList<>();
    for (Entry e : bySeq.values()) {
      Job j = e.job;
      WebhookEvent end = WebhookEvent.ofJobState(j.state());
      Webhook hook = j.spec().webhook();
      if (end != null && hook != null && hook.wants(end) && j.finishedAt() != null && j.finishedAt().isBefore(cutoff)
          && (after == null || j.finishedAt().isAfter(after)) && !webhooks.has(j.id(), end.wire())) {
        out.add(j.id());
        if (out.size() >= max) {
          break;
        }
      }
    }
    return Future.succeededFuture(out);
  }

  @Override
  public Future<Void> delete(String jobId) {
    webhooks.deleteDeliveries(jobId);
    Entry e = byId.remove(jobId);
    if (e != null) {
      byState[e.job.state().ordinal()]--;
      e.items.forEach(i -> blobs.replaced(i, null));
      bySeq.remove(e.seq);
      queued.remove(e);
      if (e.job.idempotencyKey() != null) {
        byIdempotencyKey.remove(e.job.idempotencyKey());
      }
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> close() {
    return Future.succeededFuture();
  }

  // ---- JobClaims -------------------------------------------------------------------------------------

  @Override
  public Future<Boolean> submit(Job job, List<Item> items, int capacity) {
    if (queued.size() >= capacity) {
      return Future.succeededFuture(false);
    }
    return insert(job, items).map(true);
  }

  @Override
  public Future<List<Claimed>> claim(String replica, int max, long leaseMs) {
    List<Claimed> out = new ArrayList<>();
    Instant now = Instant.now();
    while (out.size() < max && !queued.isEmpty()) {
      Entry e = queued.pollFirst();
      JobState from = e.job.state();
      e.job.moveTo(JobState.RUNNING, now, null);
      counted(from, JobState.RUNNING);
      e.claimedBy = replica;
      e.attempt++;
      if (e.deadline == null) {
        e.deadline = now.plusMillis(e.job.spec().limits().timeoutMs());
      }
      // the lease never expires (no other replica could take the job over); its nominal end is reported
      out.add(new Claimed(e.job.copy(), new Lease(e.job.id(), replica, e.attempt), now.plusMillis(leaseMs), e.deadline));
    }
    return Future.succeededFuture(out);
  }

  @Override
  public Future<Renewal> renew(String replica, Collection<String> jobIds, long leaseMs) {
    Set<String> held = new HashSet<>();
    Map<String, JobError> cancel = new HashMap<>();
    for (String id : jobIds) {
      Entry e = byId.get(id);
      if (e != null && e.job.state() == JobState.RUNNING && replica.equals(e.claimedBy)) {
        held.add(id);
        if (e.cancel != null) {
          cancel.put(id, e.cancel);
        }
      }
    }
    return Future.succeededFuture(new Renewal(Set.copyOf(held), Map.copyOf(cancel)));
  }

  /** Nobody else could take the job over: handing it back ends it cancelled. */
  @Override
  public Future<Moved> release(Lease lease, JobError ifAbandoned) {
    Entry e = held(lease);
    if (e == null) {
      return Future.succeededFuture(null);
    }
    return Future.succeededFuture(cancelNow(e, e.cancel != null ? e.cancel : ifAbandoned));
  }

  @Override
  public Future<List<Moved>> reclaimExpired(int maxAttempts) {
    return Future.succeededFuture(List.of()); // leases never expire in one process
  }

  @Override
  public Future<Long> countQueued() {
    return Future.succeededFuture((long) queued.size());
  }

  @Override
  public Future<Map<JobState, Long>> countByState() {
    Map<JobState, Long> counts = new EnumMap<>(JobState.class);
    for (JobState s : JobState.values()) {
      counts.put(s, byState[s.ordinal()]);
    }
    return Future.succeededFuture(counts);
  }

  @Override
  public Future<Boolean> updateJob(Lease lease, Job job) {
    if (!job.id().equals(lease.jobId())) {
      return Future.failedFuture(new IllegalArgumentException("job " + job.id() + " is not the leased " + lease.jobId()));
    }
    if (job.state() == JobState.QUEUED) {
      return Future.failedFuture(new IllegalArgumentException("a job goes back to the queue through release()"));
    }
    Entry e = held(lease);
    if (e == null) {
      return Future.succeededFuture(false);
    }
    saveJob(e, job);
    if (job.state().isTerminal()) {
      e.claimedBy = null;
    }
    return Future.succeededFuture(true);
  }

  @Override
  public Future<Boolean> updateItems(Lease lease, List<Item> items) {
    return addItems(lease, items);
  }

  @Override
  public Future<Boolean> addItems(Lease lease, List<Item> items) {
    for (Item item : items) {
      if (!item.jobId().equals(lease.jobId())) {
        return Future.failedFuture(new IllegalArgumentException(
            "item of job " + item.jobId() + " written under the lease of " + lease.jobId()));
      }
    }
    Entry e = held(lease);
    if (e == null) {
      return Future.succeededFuture(false);
    }
    items.forEach(i -> putItem(e, i));
    return Future.succeededFuture(true);
  }

  @Override
  public Future<CancelOutcome> requestCancel(String jobId, JobError why) {
    Entry e = byId.get(jobId);
    if (e == null) {
      return Future.succeededFuture(CancelOutcome.UNKNOWN);
    }
    return Future.succeededFuture(switch (e.job.state()) {
      case QUEUED -> {
        queued.remove(e);
        cancelNow(e, why);
        yield CancelOutcome.CANCELLED;
      }
      case RUNNING -> {
        e.cancel = why;
        tell(l -> l.cancelRequested(jobId));
        yield CancelOutcome.REQUESTED;
      }
      default -> CancelOutcome.FINISHED;
    });
  }

  /** One process: the local limiter already is the whole cluster. */
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

  // ---- notifications ---------------------------------------------------------------------------------

  @Override
  public Future<Void> listen(Listener listener) {
    this.listener = listener;
    this.listenerContext = Vertx.currentContext();
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> unlisten() {
    listener = null;
    return Future.succeededFuture();
  }

  /** Notifications arrive on a later turn, as they would from the database, never inside the caller's call. */
  private void tell(java.util.function.Consumer<Listener> event) {
    Listener l = listener;
    if (l == null) {
      return;
    }
    if (listenerContext == null) {
      event.accept(l);
    } else {
      listenerContext.runOnContext(v -> {
        if (listener == l) {
          event.accept(l);
        }
      });
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------------

  private Entry held(Lease lease) {
    Entry e = byId.get(lease.jobId());
    return e != null && e.job.state() == JobState.RUNNING && lease.replica().equals(e.claimedBy)
        && lease.attempt() == e.attempt ? e : null;
  }

  private void saveJob(Entry e, Job job) {
    boolean changed = e.job.state() != job.state();
    replace(e, job.copy());
    if (changed || !job.state().isTerminal()) {
      tell(l -> l.jobChanged(job.id()));
    }
  }

  /** Puts a new version of an entry's job in place; the counts per state follow. */
  private void replace(Entry e, Job job) {
    counted(e.job.state(), job.state());
    e.job = job;
  }

  private void counted(JobState from, JobState to) {
    byState[from.ordinal()]--;
    byState[to.ordinal()]++;
  }

  private void putItem(Entry e, Item item) {
    Item copy = item.copy();
    if (item.index() < e.items.size()) {
      blobs.replaced(e.items.set(item.index(), copy), copy);
    } else {
      e.items.add(copy);
      blobs.replaced(null, copy);
    }
  }

  /** Cancels a job with its unfinished items, recounting progress from the items. */
  private Moved cancelNow(Entry e, JobError why) {
    JobState from = e.job.state();
    Progress p = new Progress();
    for (Item item : e.items) {
      if (!item.state().isFinal()) {
        item.state(ItemState.CANCELLED);
        item.error(new ItemError(ErrorCode.CANCELLED, why.message()));
      }
      p.added(item.kind(), item.state());
      p.addBytes(item.bytes());
      if (item.unchanged() && item.state() == ItemState.SUCCEEDED) {
        p.unchangedItem();
      }
    }
    Job job = e.job.copy();
    job.moveTo(JobState.CANCELLED, Instant.now(), why);
    job.progress().restoreFrom(p);
    replace(e, job);
    e.claimedBy = null;
    tell(l -> l.jobChanged(job.id()));
    return new Moved(job.id(), from, JobState.CANCELLED, why);
  }
}
