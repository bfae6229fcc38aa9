package dev.fetchd.store;

import dev.fetchd.files.FileStore;
import dev.fetchd.job.Item;
import io.vertx.core.Future;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The counts of {@link MemoryJobStore}: updated by it wherever an item it keeps is added, replaced or removed. Used
 * from the store's one event loop, like the store.
 */
final class MemoryBlobRefs implements BlobRefs {
  private static final class Count {
    long refs;
    long bytes;
  }

  private final Map<String, Count> counts = new HashMap<>();
  /** Bytes of the bodies with a count above 0, kept as counts change. */
  private long storedBytes;

  /** An item the store keeps now, in place of {@code before} (null: a new one). */
  void replaced(Item before, Item after) {
    String was = before == null ? null : FileStore.blobHash(before.storedFile());
    String now = after == null ? null : FileStore.blobHash(after.storedFile());
    if (was != null && was.equals(now)) {
      return;
    }
    if (now != null) {
      Count c = counts.computeIfAbsent(now, k -> new Count());
      c.bytes = Math.max(c.bytes, after.bytes());
      if (++c.refs == 1) {
        storedBytes += c.bytes;
      }
    }
    if (was != null) {
      Count c = counts.computeIfAbsent(was, k -> new Count());
      if (--c.refs == 0) {
        storedBytes -= c.bytes;
      }
    }
  }

  @Override
  public Future<Set<String>> unreferenced(Collection<String> sha256s) {
    Set<String> out = new HashSet<>();
    for (String sha : sha256s) {
      Count c = counts.get(sha);
      if (c == null || c.refs <= 0) {
        out.add(sha);
      }
    }
    return Future.succeededFuture(out);
  }

  @Override
  public Future<Void> forget(Collection<String> sha256s) {
    for (String sha : sha256s) {
      Count c = counts.get(sha);
      if (c != null && c.refs <= 0) {
        counts.remove(sha);
      }
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Long> storedBytes() {
    return Future.succeededFuture(storedBytes);
  }
}
