package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recrawls ({@code "since": "<job id>"}) against a target that answers 304 to the right validators and counts the
 * full responses it gives: only what changed is fetched again, the rest succeeds {@code unchanged} with the earlier
 * body, served and exported as before.
 */
class RecrawlTest {
  static final String ALICE = "alice-token-0123456789";
  static final String BOB = "bob-token-0123456789ab";
  static final Duration WAIT = Duration.ofSeconds(30);

  /** Five bodies with an ETag and a Last-Modified, one with a Last-Modified only, one with an ETag only. */
  static List<String> serveFiles(TargetServer target) {
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String path = "/r/file-" + i;
      // one body above the size stored in one step (64 KiB): the streamed path too
      target.validated(path, "application/octet-stream", TargetServer.body(path, i == 4 ? 150_000 : 1000 + i), true, true);
      paths.add(path);
    }
    target.validated("/r/dated", "text/plain", "dated only\n".getBytes(StandardCharsets.UTF_8), false, true);
    target.validated("/r/tagged", "text/csv", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8), true, false);
    paths.add("/r/dated");
    paths.add("/r/tagged");
    return paths;
  }

  static JsonObject submit(RunningService fetchd, JsonObject body, String... headers) {
    RunningService.Response r = fetchd.post("/jobs", body.encode(), headers);
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json();
  }

  static JsonObject download(List<String> urls, String since) {
    JsonObject body = new JsonObject().put("type", "download").put("urls", new JsonArray(new ArrayList<>(urls)))
        .put("limits", new JsonObject().put("concurrency", 3));
    return since == null ? body : body.put("since", since);
  }

  static Map<String, JsonObject> byUrl(List<JsonObject> items) {
    return items.stream().collect(Collectors.toMap(i -> i.getString("url"), i -> i));
  }

  @Test
  void aRecrawlFetchesOnlyWhatChangedAndServesTheRestFromTheStoredBodies() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      List<String> paths = serveFiles(target);
      List<String> urls = paths.stream().map(target::url).toList();
      String first = submit(fetchd, download(urls, null)).getString("id");
      assertThat(fetchd.awaitTerminal(first, WAIT).getString("state")).isEqualTo("completed");
      assertThat(target.fullResponses()).isEqualTo(paths.size());
      Map<String, JsonObject> before = byUrl(fetchd.items(first));

      // one file changes; nothing else does
      String changed = "/r/file-2";
      byte[] newBody = "a new version\n".getBytes(StandardCharsets.UTF_8);
      target.validated(changed, "text/plain", newBody, true, true);
      target.resetCounters();

      JsonObject submitted = submit(fetchd, download(urls, first));
      assertThat(submitted.getJsonObject("spec").getString("since")).isEqualTo(first);
      String second = submitted.getString("id");
      JsonObject job = fetchd.awaitTerminal(second, WAIT);
      assertThat(job.getString("state")).isEqualTo("completed");
      JsonObject progress = job.getJsonObject("progress");
      assertThat(progress.getLong("succeeded")).isEqualTo(paths.size());
      assertThat(progress.getLong("unchanged")).isEqualTo(paths.size() - 1);

      // the target gave one full body, the changed one; every other URL was answered 304
      assertThat(target.fullResponses()).isEqualTo(1);
      assertThat(target.fullResponses(changed)).isEqualTo(1);
      assertThat(target.notModified()).isEqualTo(paths.size() - 1);
      // with the validators the first job saw
      assertThat(target.requestHeaders("/r/file-0").get(0).get("If-None-Match")).isEqualTo(target.etag("/r/file-0"));
      assertThat(target.requestHeaders("/r/file-0").get(0).get("If-Modified-Since")).isNotNull();
      assertThat(target.requestHeaders("/r/dated").get(0).get("If-None-Match")).isNull();
      assertThat(target.requestHeaders("/r/dated").get(0).get("If-Modified-Since")).isNotNull();
      assertThat(target.requestHeaders("/r/tagged").get(0).get("If-Modified-Since")).isNull();

      List<JsonObject> items = fetchd.items(second);
      assertThat(items).hasSize(paths.size()).allSatisfy(i -> assertThat(i.getString("state")).isEqualTo("succeeded"));
      long bytes = 0;
      for (JsonObject item : items) {
        JsonObject earlier = before.get(item.getString("url"));
        HttpResponse<byte[]> content = fetchd.getBytes("/jobs/" + second + "/items/" + item.getInteger("index")
            + "/content");
        assertThat(content.statusCode()).isEqualTo(200);
        assertThat(HexFormat.of().formatHex(WarcExportTest.sha256(content.body()))).isEqualTo(item.getString("sha256"));
        assertThat(content.headers().firstValue("ETag")).hasValue("\"" + item.getString("sha256") + "\"");
        bytes += item.getLong("bytes");
        if (item.getString("url").equals(target.url(changed))) {
          assertThat(item.getBoolean("unchanged")).isFalse();
          assertThat(item.getInteger("status")).isEqualTo(200);
          assertThat(content.body()).isEqualTo(newBody);
          assertThat(item.getString("sha256")).isNotEqualTo(earlier.getString("sha256"));
          continue;
        }
        assertThat(item.getBoolean("unchanged")).as(item.encode()).isTrue();
        assertThat(item.getInteger("status")).isEqualTo(304);
        assertThat(item.getString("sha256")).isEqualTo(earlier.getString("sha256"));
        assertThat(item.getLong("bytes")).isEqualTo(earlier.getLong("bytes"));
        assertThat(item.getString("contentType")).isEqualTo(earlier.getString("contentType"));
        assertThat(item.getInteger("attempts")).isEqualTo(1);
        String path = item.getString("url").substring(target.baseUrl().length());
        assertThat(content.body()).isEqualTo(fetchd.getBytes("/jobs/" + first + "/items/" + earlier.getInteger("index")
            + "/content").body());
        if (path.startsWith("/r/file-")) {
          assertThat(content.body()).isEqualTo(TargetServer.body(path, path.equals("/r/file-4") ? 150_000 : 1000
              + (path.charAt(path.length() - 1) - '0')));
        }
        // a Range on an unchanged item's content works as on any other
        HttpResponse<String> range = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(fetchd.baseUrl() + "/jobs/" + second + "/items/" + item.getInteger("index")
                + "/content")).header("Range", "bytes=0-1").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(range.statusCode()).isEqualTo(206);
      }
      assertThat(progress.getLong("bytes")).isEqualTo(bytes);
      assertThat(fetchd.metric("fetchd_fetch_duration_seconds_count", "outcome", "not_modified"))
          .isEqualTo(paths.size() - 1);

      // the WARC of the recrawl stays complete: a response record per item from the stored body, the 304's
      // fields merged into the head kept with that body (as a cache does), the conditional request as sent
      HttpResponse<byte[]> warc = WarcExportTest.warc(fetchd, second, "");
      assertThat(warc.statusCode()).isEqualTo(200);
      WarcExportTest.Export export = WarcExportTest.read(warc.body());
      WarcExportTest.checkCaptures(export, items);
      WarcExportTest.Capture file0 = export.captures().stream()
          .filter(c -> c.response().target().equals(target.url("/r/file-0"))).findFirst().orElseThrow();
      assertThat(file0.received().status()).isEqualTo(200);
      assertThat(file0.received().headers().first("Last-Modified")).isPresent();
      assertThat(file0.received().headers().first("ETag")).hasValue(target.etag("/r/file-0"));
      assertThat(file0.received().headers().first("Content-Length")).hasValue("1000");
      assertThat(file0.sent().headers().first("If-None-Match")).hasValue(target.etag("/r/file-0"));

      // a recrawl of the recrawl: the validators carried over (the 304s had no Last-Modified), nothing fetched
      target.resetCounters();
      String third = submit(fetchd, download(urls, second)).getString("id");
      JsonObject done = fetchd.awaitTerminal(third, WAIT);
      assertThat(done.getJsonObject("progress").getLong("unchanged")).isEqualTo(paths.size());
      assertThat(target.fullResponses()).isZero();
      assertThat(target.requestHeaders("/r/dated").get(0).get("If-Modified-Since")).isNotNull();
      assertThat(fetchd.blockedThreads()).isEmpty();
    }
  }

  /** The earlier job's bodies are shared, not owned: its retention (and the sweep after it) leaves them to the recrawl. */
  @Test
  void anUnchangedItemKeepsItsContentAfterTheEarlierJobIsRemoved() throws Exception {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("jobs.retentionMs", 1500, "files.sweepGraceMs", 1000))) {
      List<String> urls = serveFiles(target).stream().map(target::url).toList();
      String first = submit(fetchd, download(urls, null)).getString("id");
      fetchd.awaitTerminal(first, WAIT);
      // the recrawl keeps running (a stalled URL) while the first job is removed and sweeps run
      List<String> withStall = new ArrayList<>(urls);
      withStall.add(target.url("/stall"));
      String second = submit(fetchd, download(withStall, first)).getString("id");
      RunningService.await("the recrawl's unchanged items", WAIT, () -> fetchd.get("/jobs/" + second).json()
          .getJsonObject("progress").getLong("unchanged") == urls.size());
      RunningService.await("the first job removed", WAIT, () -> fetchd.get("/jobs/" + first).status() == 404);
      double sweeps = fetchd.metric("fetchd_store_sweeps_total");
      RunningService.await("two sweeps after it", WAIT, () -> fetchd.metric("fetchd_store_sweeps_total") >= sweeps + 2);
      for (JsonObject item : fetchd.items(second)) {
        if (item.getBoolean("unchanged")) {
          HttpResponse<byte[]> content = fetchd.getBytes(item.getString("content"));
          assertThat(content.statusCode()).as(item.getString("url")).isEqualTo(200);
          assertThat(HexFormat.of().formatHex(WarcExportTest.sha256(content.body()))).isEqualTo(item.getString("sha256"));
        }
      }
      fetchd.delete("/jobs/" + second);
    }
  }

  @Test
  void aServerThatIgnoresValidatorsIsFetchedAsBefore() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      // /bytes sends no validators at all; a route that sends an ETag but never answers 304
      target.route("/r/stubborn", req -> req.response().putHeader("ETag", "\"same\"")
          .putHeader("Content-Type", "text/plain").end("always whole\n"));
      List<String> urls = List.of(target.url("/bytes/r-plain?size=3000"), target.url("/r/stubborn"));
      String first = submit(fetchd, download(urls, null)).getString("id");
      fetchd.awaitTerminal(first, WAIT);
      target.resetCounters();
      String second = submit(fetchd, download(urls, first)).getString("id");
      JsonObject job = fetchd.awaitTerminal(second, WAIT);
      assertThat(job.getJsonObject("progress").getLong("succeeded")).isEqualTo(2);
      assertThat(job.getJsonObject("progress").getLong("unchanged")).isZero();
      assertThat(fetchd.items(second)).allSatisfy(i -> {
        assertThat(i.getBoolean("unchanged")).isFalse();
        assertThat(i.getInteger("status")).isEqualTo(200);
      });
      assertThat(target.requestHeaders("/r/stubborn").get(0).get("If-None-Match")).isEqualTo("\"same\"");
      assertThat(target.requestHeaders("/bytes/r-plain").get(0).get("If-None-Match")).isNull();
    }
  }

  @Test
  void anEarlierBodyGoneFromDiskIsFetchedInFullRatherThanLeftWithoutContent() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      List<String> urls = serveFiles(target).stream().map(target::url).toList();
      String first = submit(fetchd, download(urls, null)).getString("id");
      fetchd.awaitTerminal(first, WAIT);
      // what retention (or an operator) may do to the earlier job meanwhile
      JsonObject gone = fetchd.items(first).get(1);
      // found by its content, whatever the layout of the files folder
      List<Path> bodies;
      try (var walk = java.nio.file.Files.walk(fetchd.dataDir())) {
        bodies = walk.filter(java.nio.file.Files::isRegularFile).filter(p -> {
          try {
            return HexFormat.of().formatHex(WarcExportTest.sha256(java.nio.file.Files.readAllBytes(p)))
                .equals(gone.getString("sha256"));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }).toList();
      }
      assertThat(bodies).hasSize(1);
      java.nio.file.Files.delete(bodies.get(0));
      target.resetCounters();
      String second = submit(fetchd, download(urls, first)).getString("id");
      JsonObject job = fetchd.awaitTerminal(second, WAIT);
      assertThat(job.getJsonObject("progress").getLong("succeeded")).isEqualTo(urls.size());
      assertThat(job.getJsonObject("progress").getLong("unchanged")).isEqualTo(urls.size() - 1);
      JsonObject refetched = byUrl(fetchd.items(second)).get(gone.getString("url"));
      assertThat(refetched.getBoolean("unchanged")).isFalse();
      assertThat(refetched.getInteger("status")).isEqualTo(200);
      assertThat(refetched.getInteger("attempts")).as("the 304, then the full request").isEqualTo(2);
      assertThat(refetched.getString("sha256")).isEqualTo(gone.getString("sha256"));
      String path = gone.getString("url").substring(target.baseUrl().length());
      assertThat(target.notModified(path)).isEqualTo(1);
      assertThat(target.fullResponses(path)).isEqualTo(1);
      assertThat(target.fullResponses()).isEqualTo(1);
      assertThat(fetchd.getBytes(refetched.getString("content")).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void sinceMustNameAJobTheCallerCanReadAndLeavesConditionalHeadersToFetchd() throws Exception {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("apiTokens", ALICE + "," + BOB))) {
      String url = target.url("/bytes/r-owned?size=10");
      String alices = submit(fetchd, download(List.of(url), null), "Authorization", "Bearer " + ALICE).getString("id");

      for (String since : List.of("no-such-job", alices)) {
        RunningService.Response r = fetchd.post("/jobs", download(List.of(url), since).encode(),
            "Authorization", "Bearer " + BOB);
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertThat(r.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("/since");
      }
      RunningService.Response empty = fetchd.post("/jobs", download(List.of(url), "").encode(),
          "Authorization", "Bearer " + ALICE);
      assertThat(empty.status()).isEqualTo(400);
      assertThat(empty.body()).contains("/since");

      JsonObject own = download(List.of(url), alices).put("request", new JsonObject()
          .put("headers", new JsonObject().put("If-None-Match", "\"mine\"")));
      RunningService.Response conflict = fetchd.post("/jobs", own.encode(), "Authorization", "Bearer " + ALICE);
      assertThat(conflict.status()).isEqualTo(400);
      assertThat(conflict.json().getJsonArray("errors").getJsonObject(0).getString("field"))
          .isEqualTo("/request/headers/If-None-Match");

      RunningService.Response ok = fetchd.post("/jobs", download(List.of(url), alices).encode(),
          "Authorization", "Bearer " + ALICE);
      assertThat(ok.status()).as(ok.body()).isEqualTo(202);
      assertThat(fetchd.get("/jobs?limit=100", "Authorization", "Bearer " + ALICE).json().getJsonArray("jobs"))
          .hasSize(2);
    }
  }

  /** index -> a, b; a -> c; b -> c, d; c -> index; d: a small link graph, every page with validators. */
  static void serveSite(TargetServer target) {
    target.validatedHtml("/s/index", "<a href='/s/a'>a</a> <a href='/s/b'>b</a>");
    target.validatedHtml("/s/a", "<a href='c'>c</a>");
    target.validatedHtml("/s/b", "<a href='/s/c'>c</a> <a href='/s/d'>d</a>");
    target.validatedHtml("/s/c", "<a href='/s/index'>home</a>");
    target.validatedHtml("/s/d", "<p>leaf</p>");
  }

  static JsonObject crawl(String seed, String since) {
    JsonObject body = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(seed))
        .put("crawl", new JsonObject().put("maxDepth", 5));
    return since == null ? body : body.put("since", since);
  }

  static Set<String> urls(List<JsonObject> items) {
    return items.stream().map(i -> i.getString("url")).collect(Collectors.toSet());
  }

  @Test
  void aCrawlWithSinceReDiscoversLinksFromUnchangedPagesWithoutFetchingThem() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      serveSite(target);
      String first = submit(fetchd, crawl(target.url("/s/index"), null)).getString("id");
      assertThat(fetchd.awaitTerminal(first, WAIT).getString("state")).isEqualTo("completed");
      Set<String> pages = urls(fetchd.items(first));
      assertThat(pages).hasSize(5);
      target.resetCounters();

      String second = submit(fetchd, crawl(target.url("/s/index"), first)).getString("id");
      JsonObject job = fetchd.awaitTerminal(second, WAIT);
      assertThat(job.getString("state")).isEqualTo("completed");
      List<JsonObject> items = fetchd.items(second);
      assertThat(urls(items)).isEqualTo(pages);
      assertThat(items).allSatisfy(i -> {
        assertThat(i.getString("state")).isEqualTo("succeeded");
        assertThat(i.getBoolean("unchanged")).as(i.encode()).isTrue();
        assertThat(i.getString("contentType")).startsWith("text/html");
      });
      assertThat(job.getJsonObject("progress").getLong("unchanged")).isEqualTo(5);
      assertThat(job.getJsonObject("progress").getJsonObject("pages").getLong("succeeded")).isEqualTo(5);
      // every page was revalidated, none sent in full: the links came from the stored bodies
      assertThat(target.fullResponses()).isZero();
      assertThat(target.notModified()).isEqualTo(5);

      // a page changes and links to a new one: that page is fetched in full, the new one too, the rest stays 304
      target.validatedHtml("/s/d", "<a href='/s/e'>e</a>");
      target.validatedHtml("/s/e", "<p>new</p>");
      target.resetCounters();
      String third = submit(fetchd, crawl(target.url("/s/index"), second)).getString("id");
      JsonObject after = fetchd.awaitTerminal(third, WAIT);
      Map<String, JsonObject> byUrl = byUrl(fetchd.items(third));
      assertThat(byUrl).hasSize(6);
      assertThat(byUrl.get(target.url("/s/d")).getBoolean("unchanged")).isFalse();
      assertThat(byUrl.get(target.url("/s/e")).getBoolean("unchanged")).isFalse();
      assertThat(byUrl.get(target.url("/s/e")).getString("parent")).isEqualTo(target.url("/s/d"));
      assertThat(after.getJsonObject("progress").getLong("unchanged")).isEqualTo(4);
      assertThat(target.fullResponses()).isEqualTo(2);
      assertThat(target.fullResponses("/s/d")).isEqualTo(1);
      assertThat(target.fullResponses("/s/e")).isEqualTo(1);
      assertThat(fetchd.blockedThreads()).isEmpty();
    }
  }

  @Test
  void withPostgresARecrawlHandedBackMidRunIsFinishedByAnotherReplicaWithTheSameValidators(@TempDir Path data)
      throws Exception {
    PgTestDatabase.url(); // skips without a database
    String schema = "fetchd_test_recrawl_handback";
    Vertx admin = Vertx.vertx();
    try (TargetServer target = TargetServer.start()) {
      PgTestDatabase.dropSchema(admin, schema);
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String path = "/h/file-" + i;
        target.validated(path, "application/octet-stream", TargetServer.body(path, 500 + i), true, true);
        urls.add(target.url(path));
      }
      Map<String, Object> settings = Map.of("store", "postgres", "pg.url", PgTestDatabase.url(), "pg.schema", schema,
          "data.dir", data.toString(), "leaseMs", 2000, "shutdown.graceMs", 200);
      RunningService a = RunningService.start(settings);
      String first;
      String second;
      try {
        first = submit(a, download(urls, null)).getString("id");
        assertThat(a.awaitTerminal(first, WAIT).getString("state")).isEqualTo("completed");
        target.resetCounters();
        // slow 304s, one at a time: A is still at it when it shuts down and hands the job back
        target.validatedDelayMs(150);
        second = submit(a, download(urls, first).put("limits", new JsonObject().put("concurrency", 1)))
            .getString("id");
        RunningService.await("A has revalidated some URLs", Duration.ofSeconds(20),
            () -> a.get("/jobs/" + second).json().getJsonObject("progress").getLong("unchanged") >= 3);
      } finally {
        a.close();
      }
      target.validatedDelayMs(0);
      try (RunningService b = RunningService.start(settings)) {
        JsonObject job = b.awaitTerminal(second, WAIT);
        assertThat(job.getString("state")).isEqualTo("completed");
        assertThat(job.getJsonObject("progress").getLong("unchanged")).isEqualTo(urls.size());
        // B read the validators again: nothing was fetched in full, before or after the hand-back
        assertThat(target.fullResponses()).isZero();
        Map<String, JsonObject> before = byUrl(b.items(first));
        for (JsonObject item : b.items(second)) {
          assertThat(item.getBoolean("unchanged")).isTrue();
          assertThat(item.getString("sha256")).isEqualTo(before.get(item.getString("url")).getString("sha256"));
          // the earlier job's bodies survived the hand-back's clean-up of the recrawl's files
          HttpResponse<byte[]> content = b.getBytes(item.getString("content"));
          assertThat(content.statusCode()).isEqualTo(200);
          assertThat(HexFormat.of().formatHex(WarcExportTest.sha256(content.body()))).isEqualTo(item.getString("sha256"));
        }
        assertThat(b.get("/jobs/" + first).json().getJsonObject("progress").getLong("succeeded")).isEqualTo(urls.size());
      }
    } finally {
      PgTestDatabase.dropSchema(admin, schema);
      admin.close().await();
    }
  }

  @Test
  void withPostgresAnotherReplicaRevalidatesFromTheStore(@TempDir Path data) throws Exception {
    PgTestDatabase.url(); // skips without a database
    String schema = "fetchd_test_recrawl";
    Vertx admin = Vertx.vertx();
    try (TargetServer target = TargetServer.start()) {
      PgTestDatabase.dropSchema(admin, schema);
      List<String> paths = serveFiles(target);
      serveSite(target);
      List<String> urls = paths.stream().map(target::url).toList();
      Map<String, Object> settings = Map.of("store", "postgres", "pg.url", PgTestDatabase.url(), "pg.schema", schema,
          "data.dir", data.toString());
      String download;
      String crawl;
      Map<String, JsonObject> before;
      try (RunningService first = RunningService.start(settings)) {
        download = submit(first, download(urls, null)).getString("id");
        crawl = submit(first, crawl(target.url("/s/index"), null)).getString("id");
        assertThat(first.awaitTerminal(download, WAIT).getString("state")).isEqualTo("completed");
        assertThat(first.awaitTerminal(crawl, WAIT).getString("state")).isEqualTo("completed");
        before = byUrl(first.items(download));
      }
      target.resetCounters();
      // another replica, started afresh: all it knows of the earlier jobs comes from PostgreSQL and the data dir
      try (RunningService second = RunningService.start(settings)) {
        String recrawl = submit(second, download(urls, download)).getString("id");
        String recrawl2 = submit(second, crawl(target.url("/s/index"), crawl)).getString("id");
        JsonObject job = second.awaitTerminal(recrawl, WAIT);
        JsonObject job2 = second.awaitTerminal(recrawl2, WAIT);
        assertThat(job.getJsonObject("progress").getLong("unchanged")).isEqualTo(paths.size());
        assertThat(job2.getJsonObject("progress").getLong("unchanged")).isEqualTo(5);
        assertThat(target.fullResponses()).isZero();
        for (JsonObject item : second.items(recrawl)) {
          assertThat(item.getBoolean("unchanged")).isTrue();
          assertThat(item.getString("sha256")).isEqualTo(before.get(item.getString("url")).getString("sha256"));
          HttpResponse<byte[]> content = second.getBytes("/jobs/" + recrawl + "/items/" + item.getInteger("index")
              + "/content");
          assertThat(HexFormat.of().formatHex(WarcExportTest.sha256(content.body()))).isEqualTo(item.getString("sha256"));
        }
        // as stored: the items' column and the job's saved progress
        assertThat(PgTestDatabase.number(admin, schema, "SELECT count(*) FROM fetchd_items WHERE job_id = '" + recrawl
            + "' AND unchanged AND status = 304")).isEqualTo(paths.size());
        assertThat(PgTestDatabase.number(admin, schema, "SELECT (progress ->> 'unchanged')::bigint FROM fetchd_jobs"
            + " WHERE id = '" + recrawl2 + "'")).isEqualTo(5);
        assertThat(PgTestDatabase.sql(admin, schema, "SELECT spec ->> 'since' AS since FROM fetchd_jobs WHERE id = '"
            + recrawl + "'").iterator().next().getString("since")).isEqualTo(download);
      }
    } finally {
      PgTestDatabase.dropSchema(admin, schema);
      admin.close().await();
    }
  }
}
