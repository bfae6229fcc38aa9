package dev.fetchd.files;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Where fetched bodies land. A body is streamed into {@code tmp/<random>.part}, then fsynced and renamed
 * atomically to {@code files/<jobId>/<index>}: a reader never sees half a file, and a crash leaves only
 * {@code .part} files, which start-up removes. Names never come from the URL, so no URL can write outside
 * the data dir. Every blocking call runs on the {@code fetchd-files} worker pool, never the event loop.
 */
public final class FileStore {
  private final Vertx vertx;
  private final Path root;
  private final Path tmp;
  private final Path files;
  private final WorkerExecutor workers;

  private final boolean fsync;
  /**
   * Temp names end in this store's random prefix and a counter: unique across replicas sharing the data dir, without
   * a SecureRandom read per body ({@code UUID.randomUUID}) on the event loop.
   */
  private static final String TEMP_RUN = UUID.randomUUID().toString().substring(0, 13).replace("-", "") + "-";
  private final java.util.concurrent.atomic.AtomicLong tempCounter = new java.util.concurrent.atomic.AtomicLong();

  /** @param fsync whether bodies are fsynced before the rename that puts them in place */
  public FileStore(Vertx vertx, Path dataDir, boolean fsync) {
    this.vertx = vertx;
    this.fsync = fsync;
    this.root = dataDir.toAbsolutePath().normalize();
    this.tmp = root.resolve("tmp");
    this.files = root.resolve("files");
    this.workers = vertx.createSharedWorkerExecutor("fetchd-files", 8);
  }

  /**
   * Creates the folders and removes partial files a previous run left behind. With a data dir shared by
   * several replicas, only partial files idle for longer than {@code sharedIdleMs} are removed: the others
   * may be bodies another replica is writing right now (a takeover removes those of a dead replica's job).
   */
  public Future<Integer> init(boolean shared, long sharedIdleMs) {
    return blocking(() -> {
      Files.createDirectories(tmp);
      Files.createDirectories(files);
      long cutoff = System.currentTimeMillis() - sharedIdleMs;
      int removed = 0;
      try (DirectoryStream<Path> parts = Files.newDirectoryStream(tmp, "*.part")) {
        for (Path p : parts) {
          if (!shared || Files.getLastModifiedTime(p).toMillis() < cutoff) {
            Files.deleteIfExists(p);
            removed++;
          }
        }
      }
      return removed;
    });
  }

  /**
   * Removes the partial files of a job written under an earlier claim (a replica that died mid-body).
   * Temp names are {@code <jobId>.<index>.<attempt>.<random>.part}.
   */
  public Future<Integer> removeStaleTemps(String jobId, int currentAttempt) {
    return blocking(() -> {
      int removed = 0;
      try (DirectoryStream<Path> parts = Files.newDirectoryStream(tmp, jobId + ".*.part")) {
        for (Path p : parts) {
          String[] seg = p.getFileName().toString().split("\\.");
          if (seg.length >= 4 && !seg[2].equals(Integer.toString(currentAttempt))) {
            Files.deleteIfExists(p);
            removed++;
          }
        }
      }
      return removed;
    });
  }

  /** Ids of the jobs that have a folder of stored bodies. */
  public Future<java.util.List<String>> jobsWithFiles() {
    return blocking(() -> {
      try (Stream<Path> s = Files.list(files)) {
        return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
      }
    });
  }

  /**
   * A new temp file for the body to be stored as {@code storedName} ({@code <jobId>/<index>[.<attempt>]}): named
   * {@code <jobId>.<index>.<attempt>.<random>.part}, so a takeover can find a dead replica's leftovers. Nothing
   * touches the disk until its first write.
   */
  public TempFile newTemp(String storedName) {
    return new TempFile(this, tmp.resolve(tempPrefix(storedName) + "." + TEMP_RUN + Long.toHexString(
        tempCounter.incrementAndGet()) + ".part"));
  }

  /** The stored body of one item, or null if the name does not lie inside the files folder. */
  public Path resolve(String storedFile) {
    Path p = files.resolve(storedFile).normalize();
    return p.startsWith(files) ? p : null;
  }

  /** Removes every stored body of a job. */
  public Future<Void> deleteJob(String jobId) {
    Path dir = files.resolve(jobId).normalize();
    if (!dir.startsWith(files) || dir.equals(files)) {
      return Future.failedFuture(new IllegalArgumentException("bad job id"));
    }
    return blocking(() -> {
      if (Files.exists(dir)) {
        try (Stream<Path> walk = Files.walk(dir)) {
          for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(p);
          }
        }
      }
      return null;
    });
  }

  public Path root() {
    return root;
  }

  /**
   * The stored name of an item's body: {@code <jobId>/<index>}, and with several replicas
   * {@code <jobId>/<index>.<attempt>}, so that a replica that lost its claim on a job and comes back can
   * only ever touch its own file, never the one the new owner wrote.
   */
  public static String itemFile(String jobId, int index, int attempt) {
    return attempt <= 0 ? jobId + "/" + index : jobId + "/" + index + "." + attempt;
  }

  /**
   * Removes the files of a job that no item points to: bodies a replica stored before it died, without
   * having saved the item. Returns how many were removed.
   */
  public Future<Integer> removeUnreferenced(String jobId, java.util.Set<String> referenced, int currentAttempt) {
    Path dir = files.resolve(jobId).normalize();
    if (!dir.startsWith(files) || dir.equals(files)) {
      return Future.failedFuture(new IllegalArgumentException("bad job id"));
    }
    return blocking(() -> {
      if (!Files.isDirectory(dir)) {
        return 0;
      }
      int removed = 0;
      try (Stream<Path> s = Files.list(dir)) {
        for (Path f : s.toList()) {
          String name = f.getFileName().toString();
          // the current claim's own files are being written right now: never touch them
          if (!referenced.contains(jobId + "/" + name) && !name.endsWith("." + currentAttempt)) {
            Files.deleteIfExists(f);
            removed++;
          }
        }
      }
      return removed;
    });
  }

  /** Stores a body already in memory: create, write, fsync, rename and sha256 in one worker call. */
  public Future<TempFile.Stored> storeWhole(io.vertx.core.buffer.Buffer body, String name) {
    TempFile temp = newTemp(name);
    temp.enqueue(body); // written by the commit's call: one trip to a worker in all
    return temp.commit(name);
  }

  /** {@code <jobId>/<index>[.<attempt>]} -> {@code <jobId>.<index>.<attempt>}: what temp names start with. */
  private static String tempPrefix(String storedName) {
    int slash = storedName.indexOf('/');
    if (slash < 0) {
      return storedName + ".x.0";
    }
    String job = storedName.substring(0, slash);
    int dot = storedName.indexOf('.', slash + 1);
    return dot < 0 ? job + "." + storedName.substring(slash + 1) + ".0"
        : job + "." + storedName.substring(slash + 1, dot) + "." + storedName.substring(dot + 1);
  }


  /** Removes one stored body (written by a claim that turned out stale). */
  public Future<Void> deleteStored(String name) {
    Path p = resolve(name);
    return p == null ? Future.succeededFuture() : delete(p);
  }

  /** Whether bodies are fsynced before the rename that puts them in place. */
  boolean fsync() {
    return fsync;
  }

  Future<Void> delete(Path temp) {
    return blocking(() -> {
      Files.deleteIfExists(temp);
      return null;
    });
  }

  <T> Future<T> blocking(IoCallable<T> work) {
    return workers.executeBlocking(work::call, false);
  }

  @FunctionalInterface
  interface IoCallable<T> {
    T call() throws IOException;
  }
}
