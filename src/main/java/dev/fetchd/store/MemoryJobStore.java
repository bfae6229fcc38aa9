package dev.fetchd.store;

import dev.fetchd.job.Item;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobState;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The embedded default store: everything in memory, lost at restart, for one replica. It holds the very
 * objects the engine changes, so saves are no-ops; like the engine, it is used from one event loop only.
 */
public final class MemoryJobStore implements JobStore {
  private final Map<String, Entry> byId = new HashMap<>();
  private final TreeMap<Long, Entry> bySeq = new TreeMap<>();
  private final Map<String, Job> byIdempotencyKey = new HashMap<>();
  private long seq;

  private static final class Entry {
    final long seq;
    final Job job;
    final List<Item> items;

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

  @Override
  public Future<Void> insert(Job job, List<Item> items) {
    if (byId.containsKey(job.id())) {
      return Future.failedFuture(new IllegalStateException("duplicate job id " + job.id()));
    }
    Entry e = new Entry(++seq, job, new ArrayList<>(items));
    byId.put(job.id(), e);
    bySeq.put(e.seq, e);
    if (job.idempotencyKey() != null) {
      byIdempotencyKey.put(job.idempotencyKey(), job);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Job> findByIdempotencyKey(String key) {
    return Future.succeededFuture(byIdempotencyKey.get(key));
  }

  @Override
  public Future<Job> get(String id) {
    Entry e = byId.get(id);
    return Future.succeededFuture(e == null ? null : e.job);
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
      out.add(e.job);
      last = e.seq;
    }
    return Future.succeededFuture(new Page<>(out, more ? Cursors.encode("jobs", last) : null));
  }

  @Override
  public Future<Void> updateJob(Job job) {
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> addItems(List<Item> items) {
    for (Item item : items) {
      Entry e = byId.get(item.jobId());
      if (e != null) {
        e.items.add(item);
      }
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> updateItems(List<Item> items) {
    return Future.succeededFuture();
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
        out.add(it);
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
    return Future.succeededFuture(e == null ? List.of() : List.copyOf(e.items));
  }

  @Override
  public Future<Item> item(String jobId, int index) {
    Entry e = byId.get(jobId);
    if (e == null || index < 0 || index >= e.items.size()) {
      return Future.succeededFuture(null);
    }
    return Future.succeededFuture(e.items.get(index));
  }

  @Override
  public Future<List<String>> finishedBefore(Instant cutoff, int max) {
    List<String> out = new ArrayList<>();
    for (Entry e : bySeq.values()) {
      Instant f = e.job.finishedAt();
      if (e.job.state().isTerminal() && f != null && f.isBefore(cutoff)) {
        out.add(e.job.id());
        if (out.size() >= max) {
          break;
        }
      }
    }
    return Future.succeededFuture(out);
  }

  @Override
  public Future<Void> delete(String jobId) {
    Entry e = byId.remove(jobId);
    if (e != null) {
      bySeq.remove(e.seq);
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
}
