package dev.fetchd.files;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.File;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Stream;

/**
 * Where fetched bodies land: a content-addressed store. A body is streamed into {@code tmp/<tag>.<random>.part},
 * hashed as it passes, then fsynced and renamed atomically to {@code bodies/sha256/<first 2 hex>/<64 hex>}, or,
 * when those bytes are there already, dropped: the same body fetched by many jobs (or replicas sharing the data
 * dir) takes disk space once. A reader never sees half a file, and a crash leaves only {@code .part} files, which
 * start-up removes. Names never come from the URL, so no URL can write outside the data dir.
 *
 * <p>Who refers to a body is the job store's business (reference counts, {@link dev.fetchd.store.BlobRefs}); a body
 * nothing refers to is removed by the sweep ({@link #removeIdleBlobs}), never by a job's own clean-up, since the
 * body may be another job's too. Bodies stored by earlier versions under {@code files/<jobId>/<index>} still resolve
 * and still go with their job. Every blocking call runs on the {@code fetchd-files} worker pool, never the event
 * loop.
 */
public final class FileStore {
  /**
   * Stored names of content-addressed bodies start with it and a slash; on disk they live in {@code bodies/} beside
   * {@code files/}, not in it: an earlier version takes every folder of {@code files/} for a job's (and removes one
   * it does not know), so a rollback must find nothing of the shared store there.
   */
  public static final String BLOB_DIR = "sha256";
  private final Vertx vertx;
  private final Path root;
  private final Path tmp;
  private final Path files;
  /** {@code bodies/sha256}: the content-addressed bodies. */
  private final Path blobs;
  /** Where the sweep moves a body before it decides, so that a writer deduplicating against it meanwhile wins. */
  private final Path trash;
  private final WorkerExecutor workers;
  /**
   * The folders of {@code bodies/sha256} this store has made or found: each is made once, where trying it for every
   * body cost a failed mkdir and an exception.
   */
  private final AtomicIntegerArray folderMade = new AtomicIntegerArray(BLOB_FOLDERS);

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
    this.blobs = root.resolve("bodies").resolve(BLOB_DIR);
    this.trash = root.resolve("trash");
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
      Files.createDirectories(blobs);
      Files.createDirectories(trash);
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

  /** Ids of the jobs that have a folder of bodies stored by an earlier version ({@code files/<jobId>/<index>}). */
  public Future<List<String>> jobsWithFiles() {
    return blocking(() -> {
      try (Stream<Path> s = Files.list(files)) {
        return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).toList();
      }
    });
  }

  /**
   * A new temp file for an item's body, tagged {@code tag} ({@code <jobId>/<index>[.<attempt>]}, see
   * {@link #tempTag}): named {@code <jobId>.<index>.<attempt>.<random>.part}, so a takeover can find a dead
   * replica's leftovers. Nothing touches the disk until its first write.
   */
  public TempFile newTemp(String tag) {
    return new TempFile(this, tmp.resolve(tempPrefix(tag) + "." + TEMP_RUN + Long.toHexString(
        tempCounter.incrementAndGet()) + ".part"));
  }

  /** The stored body of one item, or null if the name does not lie inside the store. */
  public Path resolve(String storedFile) {
    if (storedFile == null) {
      return null;
    }
    String hex = blobHash(storedFile);
    if (hex != null) {
      return body(hex);
    }
    Path p = files.resolve(storedFile).normalize();
    return p.startsWith(files) && !p.equals(files) ? p : null;
  }

  /**
   * Removes the folder of bodies an earlier version stored for a job ({@code files/<jobId>}). Bodies in the
   * content-addressed store are not a job's own: they go with the last item that refers to them.
   */
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

  /** Where the body whose sha256 is {@code hex} lies on disk: {@code bodies/sha256/<first 2 hex>/<hex>}. */
  private Path body(String hex) {
    return blobs.resolve(hex.substring(0, 2)).resolve(hex);
  }

  /** The stored name of the body whose sha256 is {@code hex}: {@code sha256/<first 2 hex>/<hex>}. */
  public static String blobName(String hex) {
    return BLOB_DIR + "/" + hex.substring(0, 2) + "/" + hex;
  }

  /** A sha256 in lowercase hex; a loop, not a regex: it runs on the event loop for every item saved. */
  static boolean isHex64(String s) {
    if (s.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      char c = s.charAt(i);
      if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
        return false;
      }
    }
    return true;
  }

  /** The sha256 of a body stored under {@code storedFile} in the content-addressed store, else null (an old name). */
  public static String blobHash(String storedFile) {
    if (storedFile == null || !storedFile.startsWith(BLOB_DIR + "/") || storedFile.length() != BLOB_DIR.length() + 68) {
      return null;
    }
    String hex = storedFile.substring(BLOB_DIR.length() + 4);
    return isHex64(hex) ? hex : null;
  }

  /**
   * On a worker: whether the body {@code hex} of {@code size} bytes is stored already; if so its mtime is set to now,
   * so that a sweep deciding about it keeps it (see {@link #removeIdleBlobs}). A file of another size (cut short by
   * an OS crash before its bytes reached the disk, without fsync) does not count: the new copy replaces it, and so
   * does one this user may not touch (written by a replica running as another user) or one removed meanwhile.
   * {@code java.io.File} answers "absent" with 0 and false where NIO throws: a new body, the usual case, costs no
   * exception (two per body with the NIO calls: about a quarter of the worker's CPU per small body).
   */
  boolean reuse(String hex, long size) {
    File body = body(hex).toFile();
    if (body.length() != size || (size == 0 && !body.isFile())) {
      return false;
    }
    return body.setLastModified(System.currentTimeMillis());
  }

  /** On a worker: renames a closed, complete temp file into place as the body {@code hex}. */
  void moveIn(Path temp, String hex) throws IOException {
    Path body = body(hex);
    int folder = Integer.parseInt(hex, 0, 2, 16);
    if (folderMade.get(folder) == 0) {
      Files.createDirectories(body.getParent());
      folderMade.set(folder, 1);
    }
    try {
      // another writer of the same bytes may rename over this one, or this one over it: the same content either way
      Files.move(temp, body, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (NoSuchFileException folderGone) {
      if (!Files.exists(temp)) {
        throw folderGone;
      }
      // the folder was removed since it was made (by hand: nothing here removes one): made again
      Files.createDirectories(body.getParent());
      Files.move(temp, body, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * Marks a stored body as just used, so that a sweep deciding about it keeps it, as a deduplicating writer does:
   * for an item that comes to refer to a body it did not write itself. Completes with false when the body is not
   * there (any more), or is a body of the old per-job layout (its job's retention removes it, whoever else points at
   * it: nothing new may).
   */
  public Future<Boolean> touch(String storedFile) {
    String hex = blobHash(storedFile);
    if (hex == null) {
      return Future.succeededFuture(false);
    }
    Path p = body(hex);
    return blocking(() -> {
      try {
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis()));
        return true;
      } catch (NoSuchFileException gone) {
        return false;
      } catch (AccessDeniedException notOwner) {
        // written by a replica running as another user: not ours to mark, still there to refer to (the items that
        // refer to it already keep it while they live)
        return Files.isRegularFile(p);
      }
    });
  }

  /** How many folders {@link #idleBlobs} walks the store in: one per first byte of the hash. */
  public static final int BLOB_FOLDERS = 256;

  /**
   * The bodies of folder {@code folder} (0..255: the first byte of their hash) not written nor deduplicated against
   * for {@code idleMs}: the candidates of a sweep. One worker call per folder keeps each call short and the list
   * small, whatever the size of the store.
   */
  public Future<List<String>> idleBlobs(int folder, long idleMs) {
    Path dir = blobs.resolve(String.format("%02x", folder));
    long cutoff = System.currentTimeMillis() - idleMs;
    return blocking(() -> {
      List<String> out = new ArrayList<>();
      if (!Files.isDirectory(dir)) {
        return out;
      }
      try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
        for (Path p : s) {
          String name = p.getFileName().toString();
          try {
            if (isHex64(name) && Files.getLastModifiedTime(p).toMillis() < cutoff) {
              out.add(name);
            }
          } catch (NoSuchFileException gone) {
            // removed meanwhile by another replica's sweep
          }
        }
      }
      return out;
    });
  }

  /**
   * On a worker, removes bodies the job store says nothing refers to, unless a writer used one within {@code idleMs}:
   * each is first renamed into {@code trash/} (atomic: from then on a writer finds it missing and puts its own copy
   * in place), then its mtime is read again; a writer that deduplicated against it before the rename touched it,
   * and it goes back. Safe on every replica at once and across crashes: a body left in the trash by a crash is put
   * back by the next sweep ({@link #restoreTrash}), and decided about again. Returns the hashes removed.
   */
  public Future<List<String>> removeIdleBlobs(Collection<String> hexes, long idleMs) {
    return blocking(() -> {
      List<String> removed = new ArrayList<>();
      for (String hex : hexes) {
        if (!isHex64(hex)) {
          continue;
        }
        Path body = body(hex);
        Path trashed = trash.resolve(hex + "." + TEMP_RUN + Long.toHexString(tempCounter.incrementAndGet()));
        try {
          if (Files.getLastModifiedTime(body).toMillis() >= System.currentTimeMillis() - idleMs) {
            continue; // used since it was listed
          }
          Files.move(body, trashed, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException gone) {
          removed.add(hex); // removed by another replica's sweep: its record may go too
          continue;
        }
        try {
          if (Files.getLastModifiedTime(trashed).toMillis() >= System.currentTimeMillis() - idleMs) {
            putBack(trashed, body);
          } else if (Files.deleteIfExists(trashed)) {
            removed.add(hex);
          }
        } catch (NoSuchFileException restored) {
          // another replica's sweep put it back meanwhile (restoreTrash): it stays, to be decided about again
        }
      }
      return removed;
    });
  }

  /** Puts back what a sweep that died (or is deciding right now) left in the trash: it is decided about again. */
  public Future<Integer> restoreTrash() {
    return blocking(() -> {
      int restored = 0;
      try (DirectoryStream<Path> s = Files.newDirectoryStream(trash)) {
        for (Path p : s) {
          String name = p.getFileName().toString();
          String hex = name.length() > 64 ? name.substring(0, 64) : "";
          if (isHex64(hex)) {
            try {
              putBack(p, body(hex));
              restored++;
            } catch (NoSuchFileException gone) {
              // its sweep decided meanwhile
            }
          }
        }
      }
      return restored;
    });
  }

  private static void putBack(Path trashed, Path body) throws IOException {
    Files.createDirectories(body.getParent());
    // a writer may have put a copy in place meanwhile: the same bytes, either one will do
    Files.move(trashed, body, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * The tag of the temp file of an item's body: {@code <jobId>/<index>}, and with several replicas
   * {@code <jobId>/<index>.<attempt>}, so that a takeover can tell a dead replica's partial files from its own.
   */
  public static String tempTag(String jobId, int index, int attempt) {
    return attempt <= 0 ? jobId + "/" + index : jobId + "/" + index + "." + attempt;
  }

  /** Stores a body already in memory: create, write, fsync, sha256 and place in one worker call. */
  public Future<TempFile.Stored> storeWhole(io.vertx.core.buffer.Buffer body, String tag) {
    TempFile temp = newTemp(tag);
    temp.enqueue(body); // written by the commit's call: one trip to a worker in all
    return temp.commit();
  }

  /** {@code <jobId>/<index>[.<attempt>]} -> {@code <jobId>.<index>.<attempt>}: what temp names start with. */
  private static String tempPrefix(String tag) {
    int slash = tag.indexOf('/');
    if (slash < 0) {
      return tag + ".x.0";
    }
    String job = tag.substring(0, slash);
    int dot = tag.indexOf('.', slash + 1);
    return dot < 0 ? job + "." + tag.substring(slash + 1) + ".0"
        : job + "." + tag.substring(slash + 1, dot) + "." + tag.substring(dot + 1);
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
