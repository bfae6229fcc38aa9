package dev.fetchd.files;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * One body being written: chunks are queued on the event loop and written, with their hash, by one worker call at
 * a time, each taking every chunk queued meanwhile. The file is created by the first of those calls, and the last
 * one also fsyncs (when the store does), closes and puts it in place under its hash: a small body is stored in one worker
 * call, a large one in about one per 256 KiB, where an {@code AsyncFile} took one per chunk plus an open, a close
 * and a commit, and hashed on the event loop.
 *
 * <p>Use it on one event loop. Ends in exactly one of {@link #commit} or {@link #discard}; a second call returns
 * the first outcome.
 */
public final class TempFile {
  /** Queued and in-flight bytes beyond which the writer should pause its source. */
  static final int HIGH_WATER = 256 * 1024;

  private final FileStore store;
  private final Path path;
  // written by the worker calls, which run one after another
  private FileChannel channel;
  private final MessageDigest sha256;

  // the event loop's side
  private final List<Buffer> queued = new ArrayList<>();
  private long queuedBytes;
  private long inFlightBytes;
  private boolean writing;
  private long bytes;
  private Throwable failed;
  private Runnable onDrain;
  private Consumer<Throwable> onError;
  private Runnable afterWrites;
  private Future<?> ended;

  /** Cloned for each body: a provider lookup per body ({@code MessageDigest.getInstance}) costs more than a copy. */
  private static final MessageDigest SHA256_PROTOTYPE;

  static {
    try {
      SHA256_PROTOTYPE = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static MessageDigest newSha256() {
    try {
      return (MessageDigest) SHA256_PROTOTYPE.clone(); // never updated, so cloned from any thread
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  TempFile(FileStore store, Path path) {
    this.store = store;
    this.path = path;
    this.sha256 = newSha256();
  }

  /** Queues a chunk. A write error (disk full...) goes to the {@link #exceptionHandler}. */
  public void write(Buffer chunk) {
    if (enqueue(chunk) && !writing) {
      writeQueued();
    }
  }

  /** Queues a chunk for the next worker call without starting one: {@link #commit} writes it. */
  boolean enqueue(Buffer chunk) {
    if (ended != null || failed != null) {
      return false;
    }
    bytes += chunk.length();
    queued.add(chunk);
    queuedBytes += chunk.length();
    return true;
  }

  /** True when the caller should pause its source until {@link #drainHandler} fires. */
  public boolean writeQueueFull() {
    return queuedBytes + inFlightBytes >= HIGH_WATER;
  }

  /** Called once when the queue has gone below the high water mark again. */
  public void drainHandler(Runnable onDrain) {
    this.onDrain = onDrain;
  }

  /** Where asynchronous write errors go. */
  public void exceptionHandler(Consumer<Throwable> onError) {
    this.onError = onError;
  }

  public long bytes() {
    return bytes;
  }

  private void writeQueued() {
    List<Buffer> batch = new ArrayList<>(queued);
    queued.clear();
    inFlightBytes = queuedBytes;
    queuedBytes = 0;
    writing = true;
    store.blocking(() -> {
      append(batch);
      return null;
    }).onComplete(ar -> {
      writing = false;
      inFlightBytes = 0;
      if (ar.failed()) {
        failed = ar.cause();
        if (onError != null) {
          onError.accept(failed);
        }
      } else if (onDrain != null && !writeQueueFull()) {
        Runnable drain = onDrain;
        onDrain = null;
        drain.run();
      }
      if (afterWrites != null) {
        Runnable next = afterWrites;
        afterWrites = null;
        next.run();
      } else if (!queued.isEmpty() && failed == null) {
        writeQueued();
      }
    });
  }

  /** On a worker: creates the file on first use, hashes and writes the chunks. */
  private void append(List<Buffer> chunks) throws IOException {
    if (channel == null) {
      channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }
    // the chunks' own memory, hashed and written in one gathering write: getBytes() copied every byte once more
    List<ByteBuffer> views = new ArrayList<>(chunks.size());
    long left = 0;
    for (Buffer chunk : chunks) {
      for (ByteBuffer view : ((BufferInternal) chunk).getByteBuf().nioBuffers()) {
        sha256.update(view.duplicate());
        views.add(view);
        left += view.remaining();
      }
    }
    ByteBuffer[] all = views.toArray(ByteBuffer[]::new);
    while (left > 0) {
      left -= channel.write(all);
    }
  }

  /** Runs {@code next} once no worker call is in flight. */
  private void whenIdle(Runnable next) {
    if (writing) {
      afterWrites = next;
    } else {
      next.run();
    }
  }

  /**
   * Writes what is queued, syncs, closes and puts the body in place under its sha256, in one worker call: renamed
   * into the content-addressed store, or dropped when those bytes are there already ({@link FileStore#reuse}).
   */
  @SuppressWarnings("unchecked")
  public Future<Stored> commit() {
    if (ended != null) {
      return (Future<Stored>) ended;
    }
    Promise<Stored> p = Promise.promise();
    ended = p.future();
    whenIdle(() -> {
      if (failed != null) {
        discardNow().onComplete(x -> p.fail(failed));
        return;
      }
      List<Buffer> rest = new ArrayList<>(queued);
      queued.clear();
      long size = bytes;
      store.<Stored>blocking(() -> {
        String hex;
        boolean deduplicated;
        try {
          append(rest); // creates the file if nothing was written yet (an empty body)
          hex = HexFormat.of().formatHex(sha256.digest());
          // bytes stored already cost no fsync and no rename: the copy is dropped
          deduplicated = store.reuse(hex, size);
          if (deduplicated) {
            closeAndDelete();
          } else {
            if (store.fsync()) {
              channel.force(true);
            }
            channel.close();
            store.moveIn(path, hex);
          }
        } catch (IOException | RuntimeException e) {
          closeAndDelete();
          throw e;
        }
        return new Stored(FileStore.blobName(hex), size, hex, deduplicated);
      }).onComplete(p);
    });
    return p.future();
  }

  /** Closes and deletes the partial file, once the write in flight is done. */
  @SuppressWarnings("unchecked")
  public Future<Void> discard() {
    if (ended != null) {
      return ended.transform(x -> discardNow());
    }
    Promise<Void> p = Promise.promise();
    ended = p.future();
    whenIdle(() -> discardNow().onComplete(p));
    return p.future();
  }

  private Future<Void> discardNow() {
    queued.clear();
    return store.blocking(() -> {
      closeAndDelete();
      return null;
    });
  }

  private void closeAndDelete() throws IOException {
    if (channel != null) {
      try {
        channel.close();
      } finally {
        channel = null;
      }
    }
    Files.deleteIfExists(path);
  }

  /**
   * A body in place: its name under the files folder, size and sha256 (lowercase hex), and whether the same bytes
   * were stored already (then this copy took no space).
   */
  public record Stored(String name, long bytes, String sha256, boolean deduplicated) {
  }
}
