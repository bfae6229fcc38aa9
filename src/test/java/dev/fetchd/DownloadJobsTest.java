package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DownloadJobsTest {
  static TargetServer target;
  static RunningService fetchd;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    fetchd = RunningService.start();
  }

  @AfterAll
  static void stop() {
    fetchd.close();
    target.close();
  }

  @Test
  void manyUrlsAreDownloadedAndEachStoredBodyMatchesWhatWasServed() {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      int size = i % 10 == 0 ? 200_000 + i : 1000 + i * 7;
      urls.add(target.url("/bytes/many-" + i + "?size=" + size));
    }
    JsonObject job = fetchd.submitDownload(urls, new JsonObject().put("concurrency", 32).put("perHostConcurrency", 32));
    assertThat(job.getString("state")).isIn("queued", "running");
    assertThat(job.getJsonObject("spec").getInteger("urlCount")).isEqualTo(300);
    assertThat(job.getJsonObject("spec").containsKey("urls")).as("a poll never echoes the URL list").isFalse();

    JsonObject done = fetchd.awaitTerminal(job.getString("id"), Duration.ofSeconds(60));
    assertThat(done.getString("state")).isEqualTo("completed");
    JsonObject progress = done.getJsonObject("progress");
    assertThat(progress.getLong("succeeded")).isEqualTo(300);
    assertThat(progress.getLong("failed")).isZero();

    List<JsonObject> items = fetchd.items(job.getString("id"));
    assertThat(items).hasSize(300);
    long totalBytes = 0;
    for (JsonObject item : items) {
      int i = item.getInteger("index");
      int size = i % 10 == 0 ? 200_000 + i : 1000 + i * 7;
      assertThat(item.getString("url")).isEqualTo(urls.get(i));
      assertThat(item.getString("state")).isEqualTo("succeeded");
      assertThat(item.getInteger("status")).isEqualTo(200);
      assertThat(item.getLong("bytes")).isEqualTo(size);
      assertThat(item.getString("sha256")).isEqualTo(TargetServer.sha256("many-" + i, size));
      assertThat(item.getInteger("attempts")).isEqualTo(1);
      totalBytes += size;
    }
    assertThat(progress.getLong("bytes")).isEqualTo(totalBytes);

    // read back a few bodies through the API, byte for byte
    for (int i : new int[] {0, 1, 150, 299}) {
      int size = i % 10 == 0 ? 200_000 + i : 1000 + i * 7;
      HttpResponse<byte[]> content = fetchd.getBytes("/jobs/" + job.getString("id") + "/items/" + i + "/content");
      assertThat(content.statusCode()).isEqualTo(200);
      assertThat(content.headers().firstValue("Content-Type")).hasValue("application/octet-stream");
      assertThat(content.body()).isEqualTo(TargetServer.body("many-" + i, size));
    }
    assertThat(fetchd.partialFiles()).isZero();
  }

  @Test
  void contentIsServedWithTheContentTypeTheTargetGave() {
    String url = target.url("/bytes/typed?size=64&type=image/png");
    JsonObject job = fetchd.submitDownload(List.of(url), null);
    fetchd.awaitTerminal(job.getString("id"), Duration.ofSeconds(20));
    HttpResponse<byte[]> content = fetchd.getBytes("/jobs/" + job.getString("id") + "/items/0/content");
    assertThat(content.headers().firstValue("Content-Type")).hasValue("image/png");
    assertThat(content.headers().firstValue("X-Content-SHA256")).hasValue(TargetServer.sha256("typed", 64));
    assertThat(content.body()).isEqualTo(TargetServer.body("typed", 64));
  }

  @Test
  void redirectsAreFollowedAndTheFinalUrlRecorded() {
    JsonObject job = fetchd.submitDownload(List.of(target.url("/redirect/3?to=/bytes/after-redirect?size=10")), null);
    fetchd.awaitTerminal(job.getString("id"), Duration.ofSeconds(20));
    JsonObject item = fetchd.items(job.getString("id")).get(0);
    assertThat(item.getString("state")).isEqualTo("succeeded");
    assertThat(item.getString("finalUrl")).endsWith("/bytes/after-redirect?size=10");
    assertThat(item.getString("sha256")).isEqualTo(TargetServer.sha256("after-redirect", 10));
  }

  @Test
  void aRedirectLocationWithASpaceIsFollowedAsBrowsersDo() {
    JsonObject job = fetchd.submitDownload(List.of(target.url("/status/302?location=/bytes/a%20b?size=7")), null);
    fetchd.awaitTerminal(job.getString("id"), Duration.ofSeconds(20));
    JsonObject item = fetchd.items(job.getString("id")).get(0);
    assertThat(item.getString("state")).as(item.encode()).isEqualTo("succeeded");
    assertThat(item.getString("finalUrl")).endsWith("/bytes/a%20b?size=7");
  }

  @Test
  void itemsPageWithACursorAndFilterByState() {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      urls.add(i % 5 == 0 ? target.url("/status/404?n=" + i) : target.url("/bytes/page-" + i + "?size=10"));
    }
    String id = fetchd.submitDownload(urls, new JsonObject().put("retries", 0)).getString("id");
    fetchd.awaitTerminal(id, Duration.ofSeconds(30));

    Set<Integer> seen = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = fetchd.get("/jobs/" + id + "/items?limit=7" + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.getJsonArray("items").forEach(o -> seen.add(((JsonObject) o).getInteger("index")));
      cursor = page.getString("next");
      pages++;
    } while (cursor != null);
    assertThat(pages).isEqualTo(4);
    assertThat(seen).isEqualTo(IntStream.range(0, 25).boxed().collect(Collectors.toSet()));

    JsonObject failed = fetchd.get("/jobs/" + id + "/items?state=failed").json();
    assertThat(failed.getJsonArray("items")).hasSize(5);
    assertThat(failed.getJsonArray("items").getJsonObject(0).getJsonObject("error").getString("code"))
        .isEqualTo("http_status");
    assertThat(failed.getString("next")).isNull();
    JsonObject job = fetchd.get("/jobs/" + id).json();
    assertThat(job.getString("state")).as("a job whose items partly failed is completed").isEqualTo("completed");
    assertThat(job.getJsonObject("progress").getLong("failed")).isEqualTo(5);
  }

  @Test
  void jobsAreListedNewestFirstWithStateFilterAndCursor() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(fetchd.submitDownload(List.of(target.url("/bytes/list-" + i + "?size=5")), null).getString("id"));
    }
    ids.forEach(id -> fetchd.awaitTerminal(id, Duration.ofSeconds(20)));
    JsonObject first = fetchd.get("/jobs?limit=2&state=completed").json();
    assertThat(first.getJsonArray("jobs")).hasSize(2);
    assertThat(first.getJsonArray("jobs").getJsonObject(0).getString("id")).isEqualTo(ids.get(4));
    assertThat(first.getJsonArray("jobs").getJsonObject(1).getString("id")).isEqualTo(ids.get(3));
    JsonObject second = fetchd.get("/jobs?limit=2&state=completed&cursor=" + first.getString("next")).json();
    assertThat(second.getJsonArray("jobs").getJsonObject(0).getString("id")).isEqualTo(ids.get(2));
    assertThat(fetchd.get("/jobs?state=cancelled&limit=1000").json().getJsonArray("jobs").stream()
        .map(o -> ((JsonObject) o).getString("id"))).doesNotContainAnyElementsOf(ids);
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheSameJob() {
    String body = new JsonObject().put("type", "download")
        .put("urls", new io.vertx.core.json.JsonArray().add(target.url("/bytes/idem?size=5"))).encode();
    RunningService.Response first = fetchd.post("/jobs", body, "Idempotency-Key", "key-1");
    RunningService.Response again = fetchd.post("/jobs", body, "Idempotency-Key", "key-1");
    assertThat(first.status()).isEqualTo(202);
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().getString("id")).isEqualTo(first.json().getString("id"));
    assertThat(again.header("Location")).isEqualTo("/jobs/" + first.json().getString("id"));

    String other = new JsonObject().put("type", "download")
        .put("urls", new io.vertx.core.json.JsonArray().add(target.url("/bytes/other?size=5"))).encode();
    RunningService.Response conflict = fetchd.post("/jobs", other, "Idempotency-Key", "key-1");
    assertThat(conflict.status()).isEqualTo(422);
    assertThat(conflict.header("Content-Type")).isEqualTo("application/problem+json");
  }

  @Test
  void longPollAnswersWhenTheJobEnds() {
    String id = fetchd.submitDownload(List.of(target.url("/bytes/slow?size=10&delay=500")), null).getString("id");
    long t0 = System.nanoTime();
    JsonObject job = fetchd.get("/jobs/" + id + "?wait=20").json();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(job.getString("state")).isEqualTo("completed");
    assertThat(ms).as("answered when the job ended, not at the end of the wait").isLessThan(15_000);
  }

  @Test
  void unknownJobsAre404Problems() {
    RunningService.Response r = fetchd.get("/jobs/no-such-job");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(r.json().getInteger("status")).isEqualTo(404);
    assertThat(fetchd.delete("/jobs/no-such-job").status()).isEqualTo(404);
    assertThat(fetchd.get("/jobs/no-such-job/items").status()).isEqualTo(404);
    assertThat(fetchd.get("/jobs/no-such-job/items/0/content").status()).isEqualTo(404);
  }
}
