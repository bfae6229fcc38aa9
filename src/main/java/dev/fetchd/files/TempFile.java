package dev.fetchd.files;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One body being written. Counts bytes and hashes them as they pass (a few microseconds per 64 KiB chunk
 * on the event loop, which saves reading the file again on a worker). Ends in exactly one of
 * {@link #commit} or {@link #discard}; a second call is a no-op returning the first outcome.
 */
public final class TempFile {
  private final FileStore store;
  private final Path path;
  private final AsyncFile file;
  private final MessageDigest sha256;
  private long bytes;
  private Future<?> ended;

  TempFile(FileStore store, Path path, AsyncFile file) {
    this.store = store;
    this.path = path;
    this.file = file;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Appends a chunk; the returned future fails on a write error (disk full...). */
  public Future<Void> write(Buffer chunk) {
    bytes += chunk.length();
    sha256.update(chunk.getBytes());
    return file.write(chunk);
  }

  /** True when the caller should pause its source until {@link #drainHandler} fires. */
  public boolean writeQueueFull() {
    return file.writeQueueFull();
  }

  public void drainHandler(Runnable onDrain) {
    file.drainHandler(v -> onDrain.run());
  }

  /** Routes asynchronous write errors to the caller. */
  public void exceptionHandler(java.util.function.Consumer<Throwable> onError) {
    file.exceptionHandler(onError::accept);
  }

  public long bytes() {
    return bytes;
  }

  /** Closes, syncs and moves the file into place; completes with what was stored. */
  @SuppressWarnings("unchecked")
  public Future<Stored> commit(String name) {
    if (ended != null) {
      return (Future<Stored>) ended;
    }
    String hex = HexFormat.of().formatHex(sha256.digest());
    long size = bytes;
    Future<Stored> f = file.close()
        .compose(v -> store.commit(path, name))
        .map(stored -> new Stored(stored, size, hex))
        .recover(err -> store.delete(path).transform(x -> Future.failedFuture(err)));
    ended = f;
    return f;
  }

  /** Closes and deletes the partial file. */
  @SuppressWarnings("unchecked")
  public Future<Void> discard() {
    if (ended != null) {
      return ended.transform(x -> store.delete(path));
    }
    Future<Void> f = file.close().transform(x -> store.delete(path));
    ended = f;
    return f;
  }

  /** A body in place: its name under the files folder, size and sha256 (lowercase hex). */
  public record Stored(String name, long bytes, String sha256) {
  }
}
