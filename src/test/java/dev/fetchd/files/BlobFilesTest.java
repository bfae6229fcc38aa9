package dev.fetchd.files;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The content-addressed store on real files: bodies land under their sha256 once, a writer that finds its bytes
 * there keeps the body from a sweep deciding about it, and a sweep removes only bodies unused for the grace.
 */
class BlobFilesTest {
  private static final long GRACE_MS = 60_000;
  private Vertx vertx;
  private Path data;
  private FileStore files;

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    data = Files.createTempDirectory("fetchd-blobs");
    files = new FileStore(vertx, data, false);
    files.init(false, 0).await();
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().await();
    try (Stream<Path> s = Files.walk(data)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private static void age(Path p) throws Exception {
    Files.setLastModifiedTime(p, FileTime.from(Instant.now().minusSeconds(3_600)));
  }

  @Test
  void onlyAStoredNameOfSixtyFourLowercaseHexDigitsNamesABody() {
    String hex = "0123456789abcdef".repeat(4);
    assertThat(FileStore.blobHash("sha256/01/" + hex)).isEqualTo(hex);
    assertThat(FileStore.blobHash("sha256/01/" + hex.toUpperCase())).isNull();
    assertThat(FileStore.blobHash("sha256/01/" + hex.substring(1) + "g")).isNull();
    assertThat(FileStore.blobHash("sha256/01/" + hex.substring(1))).isNull();
    assertThat(FileStore.blobHash("sha256/01/" + hex + "0")).isNull();
    assertThat(FileStore.blobHash("files/job/3")).isNull();
    assertThat(FileStore.blobHash(null)).isNull();
  }

  @Test
  void theSameBytesAreStoredOnceAndTheSecondWriterTouchesTheBody() throws Exception {
    TempFile.Stored first = files.storeWhole(Buffer.buffer("same bytes"), "job-a/0").await();
    Path body = files.resolve(first.name());
    assertThat(first.name()).isEqualTo("sha256/" + first.sha256().substring(0, 2) + "/" + first.sha256());
    assertThat(first.deduplicated()).isFalse();
    assertThat(body).hasContent("same bytes");
    age(body);

    TempFile.Stored second = files.storeWhole(Buffer.buffer("same bytes"), "job-b/0").await();
    assertThat(second).isEqualTo(new TempFile.Stored(first.name(), 10, first.sha256(), true));
    assertThat(Files.getLastModifiedTime(body).toInstant()).isAfter(Instant.now().minusSeconds(60));
    // the touched body is not idle: a sweep leaves it
    assertThat(files.removeIdleBlobs(List.of(first.sha256()), GRACE_MS).await()).isEmpty();
    assertThat(body).exists();
    try (Stream<Path> s = Files.list(data.resolve("tmp"))) {
      assertThat(s).as("no temp left").isEmpty();
    }
  }

  @Test
  void aSweepRemovesOnlyIdleBodiesAndATrashLeftByACrashGoesBack() throws Exception {
    TempFile.Stored idle = files.storeWhole(Buffer.buffer("idle"), "job/0").await();
    TempFile.Stored fresh = files.storeWhole(Buffer.buffer("fresh"), "job/1").await();
    TempFile.Stored crashed = files.storeWhole(Buffer.buffer("in the trash"), "job/2").await();
    age(files.resolve(idle.name()));
    age(files.resolve(crashed.name()));
    int folder = Integer.parseInt(idle.sha256().substring(0, 2), 16);
    assertThat(files.idleBlobs(folder, GRACE_MS).await()).contains(idle.sha256()).doesNotContain(fresh.sha256());

    assertThat(files.removeIdleBlobs(List.of(idle.sha256(), fresh.sha256()), GRACE_MS).await())
        .containsExactly(idle.sha256());
    assertThat(files.resolve(idle.name())).doesNotExist();
    assertThat(files.resolve(fresh.name())).exists();

    Path trashed = data.resolve("trash").resolve(crashed.sha256() + ".deadbeef");
    Files.move(files.resolve(crashed.name()), trashed);
    assertThat(files.restoreTrash().await()).isEqualTo(1);
    assertThat(files.resolve(crashed.name())).hasContent("in the trash");
    assertThat(trashed).doesNotExist();
  }

  @Test
  void aBodyRemovedWhileAWriterFindsItIsWrittenAgain() throws Exception {
    TempFile.Stored first = files.storeWhole(Buffer.buffer("swept"), "job/0").await();
    age(files.resolve(first.name()));
    assertThat(files.removeIdleBlobs(List.of(first.sha256()), GRACE_MS).await()).containsExactly(first.sha256());
    TempFile.Stored again = files.storeWhole(Buffer.buffer("swept"), "job/1").await();
    assertThat(again.deduplicated()).isFalse();
    assertThat(files.resolve(again.name())).hasContent("swept");
    assertThat(files.touch(again.name()).await()).isTrue();
    assertThat(files.touch("sha256/00/" + "0".repeat(64)).await()).isFalse();
  }

  @Test
  void aFolderOfBodiesRemovedByHandIsMadeAgain() throws Exception {
    TempFile.Stored first = files.storeWhole(Buffer.buffer("in a folder"), "job/0").await();
    Path folder = files.resolve(first.name()).getParent();
    Files.delete(files.resolve(first.name()));
    Files.delete(folder);
    TempFile.Stored again = files.storeWhole(Buffer.buffer("in a folder"), "job/1").await();
    assertThat(again.deduplicated()).isFalse();
    assertThat(files.resolve(again.name())).hasContent("in a folder");
  }

  @Test
  void anEmptyBodyIsStoredOnceToo() throws Exception {
    TempFile.Stored first = files.storeWhole(Buffer.buffer(), "job/0").await();
    assertThat(first.deduplicated()).isFalse();
    assertThat(files.resolve(first.name())).isEmptyFile();
    assertThat(files.storeWhole(Buffer.buffer(), "job/1").await().deduplicated()).isTrue();
  }

  @Test
  void aFileOfAnotherSizeUnderTheHashIsReplaced() throws Exception {
    TempFile.Stored first = files.storeWhole(Buffer.buffer("whole body"), "job/0").await();
    Files.writeString(files.resolve(first.name()), "cut"); // an OS crash before the bytes reached the disk
    TempFile.Stored again = files.storeWhole(Buffer.buffer("whole body"), "job/1").await();
    assertThat(again.deduplicated()).isFalse();
    assertThat(files.resolve(again.name())).hasContent("whole body");
  }
}
