package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stored once: bodies live in a content-addressed store, so the same bytes fetched by two jobs (or twice by one)
 * take disk space once; retention removes a body only when the last item referring to it has gone, through the
 * sweep, which also removes bodies a dead replica left with no item at all. With the in-memory store and with
 * PostgreSQL, whose reference counts are read back with SQL.
 */
class StoredOnceTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String SCHEMA = "fetchd_test_stored_once";
  private static final long GRACE_MS = 1_000;
  /** With PostgreSQL the grace must exceed the claim lease by 2 s (a replica holds unsaved bodies that long). */
  private static final long PG_LEASE_MS = 1_000;
  private static final int SMALL = 5_000;
  private static final int LARGE = 200_000;
  private static TargetServer target;
  private static Vertx admin;

  @BeforeAll
  static void startTarget() {
    target = TargetServer.start();
    admin = Vertx.vertx();
  }

  @AfterAll
  static void stopTarget() {
    target.close();
    admin.close().await();
  }

  private static Map<String, Object> settings(boolean postgres, long retentionMs) {
    Map<String, Object> s = new HashMap<>(Map.of("files.sweepGraceMs", GRACE_MS, "jobs.retentionMs", retentionMs));
    if (postgres) {
      PgTestDatabase.dropSchema(admin, SCHEMA);
      s.putAll(Map.of("store", "postgres", "pg.url", PgTestDatabase.url(), "pg.schema", SCHEMA,
          "leaseMs", PG_LEASE_MS, "files.sweepGraceMs", PG_LEASE_MS + 2_000));
    }
    return s;
  }

  @Test
  void twoJobsOfTheSameFilesLeaveOneCopyOnDiskInMemory() throws Exception {
    twoJobsOfTheSameFilesLeaveOneCopyOnDisk(false);
  }

  @Test
  void twoJobsOfTheSameFilesLeaveOneCopyOnDiskWithPostgres() throws Exception {
    PgTestDatabase.url(); // skips without a database
    twoJobsOfTheSameFilesLeaveOneCopyOnDisk(true);
  }

  @Test
  void aBodyNothingRefersToIsSweptAndAReferencedOneIsNotInMemory() throws Exception {
    sweepKeepsOnlyReferencedBodies(false);
  }

  @Test
  void aBodyNothingRefersToIsSweptAndAReferencedOneIsNotWithPostgres() throws Exception {
    PgTestDatabase.url();
    sweepKeepsOnlyReferencedBodies(true);
  }

  private void twoJobsOfTheSameFilesLeaveOneCopyOnDisk(boolean postgres) throws Exception {
    String small = "same-" + postgres;
    String large = "large-" + postgres;
    // the same bytes at two URLs (one sent with a length, one chunked), and a body large enough to be streamed
    List<String> urls = List.of(target.url("/bytes/" + small + "?size=" + SMALL),
        target.url("/chunked/" + small + "?size=" + SMALL), target.url("/bytes/" + large + "?size=" + LARGE));
    String smallSha = TargetServer.sha256(small, SMALL);
    String largeSha = TargetServer.sha256(large, LARGE);
    try (RunningService fetchd = RunningService.start(settings(postgres, 6_000))) {
      // one at a time: the second URL's body is stored after the first's, and found there
      String a = fetchd.submitDownload(urls, new JsonObject().put("concurrency", 1)).getString("id");
      assertThat(fetchd.awaitTerminal(a, WAIT).getJsonObject("progress").getLong("succeeded")).isEqualTo(3);
      assertThat(blobs(fetchd)).containsOnlyKeys(smallSha, largeSha);
      assertThat(fetchd.metric("fetchd_store_dedup_bytes_total")).isEqualTo(SMALL);

      // the second job downloads the same files, and one more that keeps it running for a while
      String b = fetchd.submitDownload(concat(urls, target.url("/drip/keep-" + postgres + "?bytes=14&intervalMs=1000")),
          new JsonObject().put("concurrency", 4)).getString("id");
      RunningService.await("the second job's copies found", WAIT,
          () -> fetchd.metric("fetchd_store_dedup_bytes_total") == SMALL + SMALL + SMALL + LARGE);
      assertThat(blobs(fetchd)).as("one copy of each body on disk").containsOnlyKeys(smallSha, largeSha);
      RunningService.await("the second job's copies saved", WAIT, () -> fetchd.items(b).stream().limit(3)
          .allMatch(item -> "succeeded".equals(item.getString("state"))));
      for (String job : List.of(a, b)) {
        for (int i = 0; i < 3; i++) {
          assertServes(fetchd, job, i, i < 2 ? small : large, i < 2 ? SMALL : LARGE);
        }
      }
      if (postgres) {
        RunningService.await("b's items saved", WAIT, () -> counts(fetchd).getOrDefault(largeSha, 0L) == 2);
        assertThat(counts(fetchd)).isEqualTo(Map.of(smallSha, 4L, largeSha, 2L)).isEqualTo(itemCounts());
      }
      RunningService.await("kept bytes counted once", WAIT,
          () -> fetchd.metric("fetchd_store_bytes") == SMALL + LARGE);

      // retention of the first job keeps the bodies: the second still refers to them
      RunningService.await("a removed after retention", WAIT, () -> fetchd.get("/jobs/" + a).status() == 404);
      assertThat(fetchd.get("/jobs/" + b).json().getString("state")).isEqualTo("running");
      awaitTwoSweeps(fetchd);
      assertThat(blobs(fetchd)).containsOnlyKeys(smallSha, largeSha);
      for (int i = 0; i < 3; i++) {
        assertServes(fetchd, b, i, i < 2 ? small : large, i < 2 ? SMALL : LARGE);
      }
      if (postgres) {
        assertThat(counts(fetchd)).isEqualTo(Map.of(smallSha, 2L, largeSha, 1L)).isEqualTo(itemCounts());
      }

      // retention of the second, the last to refer to them, removes them after the grace
      assertThat(fetchd.awaitTerminal(b, WAIT).getString("state")).isEqualTo("completed");
      RunningService.await("b removed after retention", WAIT, () -> fetchd.get("/jobs/" + b).status() == 404);
      RunningService.await("the bodies swept", WAIT, () -> blobs(fetchd).isEmpty());
      RunningService.await("nothing kept", WAIT, () -> fetchd.metric("fetchd_store_bytes") == 0);
      RunningService.await("three bodies swept: small, large and the drip", WAIT,
          () -> fetchd.metric("fetchd_store_swept_bodies_total") == 3);
      if (postgres) {
        RunningService.await("the counts forgotten", WAIT, () -> counts(fetchd).isEmpty());
      }
      assertThat(fetchd.partialFiles()).isZero();
    }
  }

  private void sweepKeepsOnlyReferencedBodies(boolean postgres) throws Exception {
    String name = "kept-" + postgres;
    String sha = TargetServer.sha256(name, SMALL);
    try (RunningService fetchd = RunningService.start(settings(postgres, 3_600_000))) {
      String id = fetchd.submitDownload(List.of(target.url("/bytes/" + name + "?size=" + SMALL)), null)
          .getString("id");
      fetchd.awaitTerminal(id, WAIT);
      // a body a dead replica stored without ever saving its item: no item, no count; and the job's own body, both
      // unused for longer than the grace
      byte[] orphan = "written by a replica that died before saving its item".getBytes();
      String orphanSha = TargetServer.sha256Hex(orphan);
      Path orphanFile = fetchd.dataDir().resolve("bodies/sha256/" + orphanSha.substring(0, 2) + "/" + orphanSha);
      Files.createDirectories(orphanFile.getParent());
      Files.write(orphanFile, orphan);
      FileTime old = FileTime.from(Instant.now().minusSeconds(3_600));
      Files.setLastModifiedTime(orphanFile, old);
      Files.setLastModifiedTime(blobs(fetchd).get(sha), old);
      // a partial sweep a crash cut short: a body left in the trash goes back, and is decided about again
      Path trashed = fetchd.dataDir().resolve("trash/" + sha + ".crashed");
      Files.move(blobs(fetchd).get(sha), trashed);

      RunningService.await("the orphan swept", WAIT, () -> !Files.exists(orphanFile));
      awaitTwoSweeps(fetchd);
      assertThat(blobs(fetchd)).containsOnlyKeys(sha);
      assertThat(trashed).doesNotExist();
      assertServes(fetchd, id, 0, name, SMALL);
      if (postgres) {
        assertThat(counts(fetchd)).isEqualTo(Map.of(sha, 1L)).isEqualTo(itemCounts());
      }
    }
  }

  @Test
  void aBodyCutShortOnDiskIsReplacedNotDeduplicatedAgainst() throws Exception {
    String name = "cut-short";
    String sha = TargetServer.sha256(name, SMALL);
    try (RunningService fetchd = RunningService.start(settings(false, 3_600_000))) {
      // what an OS crash can leave of a body renamed into place before its bytes reached the disk (no fsync)
      Path cut = fetchd.dataDir().resolve("bodies/sha256/" + sha.substring(0, 2) + "/" + sha);
      Files.createDirectories(cut.getParent());
      Files.write(cut, new byte[0]);
      String id = fetchd.submitDownload(List.of(target.url("/bytes/" + name + "?size=" + SMALL)), null)
          .getString("id");
      fetchd.awaitTerminal(id, WAIT);
      assertServes(fetchd, id, 0, name, SMALL);
      assertThat(Files.size(cut)).isEqualTo(SMALL);
      assertThat(fetchd.metric("fetchd_store_dedup_bytes_total")).isZero();
    }
  }

  /** Waits for two walks of the store to end: the second started after this call. */
  private static void awaitTwoSweeps(RunningService fetchd) {
    double done = fetchd.metric("fetchd_store_sweeps_total");
    RunningService.await("two sweeps", WAIT, () -> fetchd.metric("fetchd_store_sweeps_total") >= done + 2);
  }

  private static void assertServes(RunningService fetchd, String job, int index, String name, int size) {
    HttpResponse<byte[]> r = fetchd.getBytes("/jobs/" + job + "/items/" + index + "/content");
    assertThat(r.statusCode()).as(job + "/" + index + ": " + new String(r.body())).isEqualTo(200);
    assertThat(r.body()).isEqualTo(TargetServer.body(name, size));
    assertThat(r.headers().firstValue("ETag")).contains("\"" + TargetServer.sha256(name, size) + "\"");
  }

  /** The bodies on disk, by name (their sha256); read while sweeps may remove some. */
  private static Map<String, Path> blobs(RunningService fetchd) {
    Map<String, Path> out = new TreeMap<>();
    try (DirectoryStream<Path> folders = Files.newDirectoryStream(fetchd.dataDir().resolve("bodies/sha256"))) {
      for (Path folder : folders) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder)) {
          files.forEach(f -> out.put(f.getFileName().toString(), f));
        } catch (NoSuchFileException gone) {
          // removed meanwhile
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  /** fetchd_blobs, as SQL reads it: the count of each body. */
  private static Map<String, Long> counts(RunningService fetchd) {
    return rows("SELECT sha256 AS s, refs AS n FROM fetchd_blobs");
  }

  /** What the counts must be: items per body. */
  private static Map<String, Long> itemCounts() {
    return rows("SELECT substr(stored_file, 11) AS s, count(*) AS n FROM fetchd_items"
        + " WHERE stored_file LIKE 'sha256/%' GROUP BY 1");
  }

  private static Map<String, Long> rows(String sql) {
    Map<String, Long> out = new TreeMap<>();
    for (Row r : PgTestDatabase.sql(admin, SCHEMA, sql)) {
      out.put(r.getString("s"), r.getLong("n"));
    }
    return out;
  }

  private static List<String> concat(List<String> a, String b) {
    return Stream.concat(a.stream(), Stream.of(b)).toList();
  }

}
