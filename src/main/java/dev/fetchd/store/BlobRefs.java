package dev.fetchd.store;

import io.vertx.core.Future;
import java.util.Collection;
import java.util.Set;

/**
 * Reference counts of the bodies in the content-addressed file store, kept by the job store beside the items that
 * refer to them: every save, replacement or removal of an item with a body ({@code storedFile} {@code sha256/...})
 * changes its body's count in the same step (with PostgreSQL, a trigger in the item write's own transaction, so
 * counts hold across replicas and crashes). The counts tell the sweep which bodies nothing refers to any more; the
 * sweep also removes bodies that have no count at all (a replica died between storing a body and saving its item).
 */
public interface BlobRefs {

  /** Of these bodies (sha256, lowercase hex), those no item refers to: no count at all, or a count of 0. */
  Future<Set<String>> unreferenced(Collection<String> sha256s);

  /** Drops the counts of these bodies that are still 0 (their files were removed). */
  Future<Void> forget(Collection<String> sha256s);

  /** Bytes of the bodies some item refers to, each body counted once: what the store keeps on disk. */
  Future<Long> storedBytes();
}
