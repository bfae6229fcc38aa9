package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * fetchd_store_write_failures_total, what FetchdStoreWritesFailing alerts on: there at 0 from the start, and
 * counting a body the data folder really refuses. (The job store's side, a write PostgreSQL refuses, is in
 * {@link OneEngineTest}.)
 */
class StoreWriteFailuresTest {

  @Test
  void aBodyTheDataFolderRefusesIsCountedAsAFailedFilesStoreWrite() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      assertThat(fetchd.metric("fetchd_store_write_failures_total", "store", "files")).isZero();
      assertThat(fetchd.metric("fetchd_store_write_failures_total", "store", "jobs")).isZero();

      // a file where the temp folder should be: every body fails to be written (ENOTDIR), even as root
      Path tmp = fetchd.dataDir().resolve("tmp");
      try (var parts = Files.list(tmp)) {
        assertThat(parts).isEmpty();
      }
      Files.delete(tmp);
      Files.writeString(tmp, "not a folder");

      String id = fetchd.submitDownload(List.of(target.url("/bytes/refused?size=100")),
          new JsonObject().put("retries", 0)).getString("id");
      assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(20)).getString("state")).isEqualTo("completed");
      JsonObject item = fetchd.items(id).get(0);
      assertThat(item.getString("state")).isEqualTo("failed");
      assertThat(item.getJsonObject("error").getString("code")).isEqualTo("io_error");

      assertThat(fetchd.metric("fetchd_store_write_failures_total", "store", "files")).isEqualTo(1.0);
      assertThat(fetchd.metric("fetchd_store_write_failures_total", "store", "jobs")).isZero();
    }
  }
}
