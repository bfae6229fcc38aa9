package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.netpreserve.jwarc.WarcDigest;
import org.netpreserve.jwarc.WarcReader;
import org.netpreserve.jwarc.WarcRecord;
import org.netpreserve.jwarc.WarcRequest;
import org.netpreserve.jwarc.WarcResponse;
import org.netpreserve.jwarc.Warcinfo;

/** GET /jobs/{id}/warc against a real target, read back record by record with jwarc (a well-kept WARC reader). */
class WarcExportTest {
  static final String TOKEN = "tok-5a1e0c9d8b7f6e5d4c3b";
  static final String API_KEY = "key-9e8d7c6b5a4f3e2d";
  static final String ALICE = "alice-token-0123456789";
  static final String BOB = "bob-token-0123456789ab";
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** 200 with headers of its own, as a real site sends them. */
  static void custom(HttpServerRequest req) {
    req.response().putHeader("Content-Type", "text/plain; charset=utf-8").putHeader("X-Custom", "hello warc")
        .putHeader("ETag", "\"v1\"").putHeader("Cache-Control", "max-age=60").end("hello warc\n");
  }

  /** 200 with 100 headers: more than a kept head holds. */
  static void manyHeaders(HttpServerRequest req) {
    for (int i = 0; i < 100; i++) {
      req.response().putHeader("X-H" + i, "v" + i);
    }
    req.response().putHeader("Content-Type", "text/plain").end("many\n");
  }

  /** A request/response pair with what was parsed while the reader stood on it (a record's body reads only then). */
  record Capture(WarcRequest request, org.netpreserve.jwarc.HttpRequest sent, WarcResponse response,
                 org.netpreserve.jwarc.HttpResponse received, byte[] payload) {}

  record Export(org.netpreserve.jwarc.MessageHeaders info, List<Capture> captures, List<Long> positions) {}

  static HttpResponse<byte[]> warc(RunningService fetchd, String id, String query, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fetchd.baseUrl() + "/jobs/" + id + "/warc" + query))
        .timeout(Duration.ofSeconds(60));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** Reads the whole file strictly: warcinfo first, then request/response pairs; payloads and digests read. */
  static Export read(byte[] file) throws Exception {
    List<Capture> captures = new ArrayList<>();
    List<Long> positions = new ArrayList<>();
    org.netpreserve.jwarc.MessageHeaders info = null;
    WarcRequest pending = null;
    org.netpreserve.jwarc.HttpRequest pendingHttp = null;
    try (WarcReader reader = new WarcReader(new ByteArrayInputStream(file))) {
      reader.calculateBlockDigest();
      List<String> warnings = new ArrayList<>();
      reader.onWarning(warnings::add);
      for (WarcRecord r : reader) {
        positions.add(reader.position());
        if (info == null) {
          assertThat(r).as("the first record").isInstanceOf(Warcinfo.class);
          info = ((Warcinfo) r).fields();
          continue;
        }
        if (r instanceof WarcRequest req) {
          assertThat(pending).as("a request not followed by its response").isNull();
          pending = req;
          pendingHttp = req.http();
          pendingHttp.body().consume();
          assertThat(req.calculatedBlockDigest()).isPresent().isEqualTo(req.blockDigest());
          continue;
        }
        assertThat(r).isInstanceOf(WarcResponse.class);
        WarcResponse resp = (WarcResponse) r;
        assertThat(pending).as("a response without its request").isNotNull();
        org.netpreserve.jwarc.HttpResponse http = resp.http();
        byte[] payload = http.body().stream().readAllBytes();
        captures.add(new Capture(pending, pendingHttp, resp, http, payload));
        pending = null;
      }
      assertThat(warnings).isEmpty();
    }
    assertThat(pending).isNull();
    return new Export(info, captures, positions);
  }

  static byte[] sha256(byte[] b) throws Exception {
    return java.security.MessageDigest.getInstance("SHA-256").digest(b);
  }

  /** Every capture: linked, right URI, payload bytes and digest equal to the item's sha256. */
  static void checkCaptures(Export export, List<JsonObject> succeeded) throws Exception {
    assertThat(export.captures()).hasSameSizeAs(succeeded);
    for (int i = 0; i < succeeded.size(); i++) {
      JsonObject item = succeeded.get(i);
      Capture c = export.captures().get(i);
      assertThat(c.response().target()).isEqualTo(item.getString("finalUrl", item.getString("url")));
      assertThat(c.request().target()).isEqualTo(c.response().target());
      assertThat(c.request().concurrentTo()).containsExactly(c.response().id());
      assertThat(c.response().id().toString()).startsWith("urn:uuid:");
      assertThat(c.response().contentType().toString()).startsWith("application/http");
      assertThat(HexFormat.of().formatHex(sha256(c.payload()))).isEqualTo(item.getString("sha256"));
      WarcDigest digest = c.response().payloadDigest().orElseThrow();
      assertThat(digest.algorithm()).isEqualTo("sha256");
      assertThat(digest.raw()).as("base32, the WARC convention").matches("sha256:[A-Z2-7]{52}=*");
      assertThat(HexFormat.of().formatHex(digest.bytes())).isEqualTo(item.getString("sha256"));
      assertThat(c.sent().method()).isEqualTo("GET");
    }
  }

  static List<JsonObject> succeeded(RunningService fetchd, String id) {
    return fetchd.items(id).stream().filter(i -> i.getString("state").equals("succeeded")).toList();
  }

  @Test
  void aJobExportsAsWarcReadableByJwarcPlainAndGzippedWithSecretsRedacted() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.route("/warc/custom.txt", WarcExportTest::custom);
      target.route("/warc/many", WarcExportTest::manyHeaders);
      JsonObject request = new JsonObject()
          .put("headers", new JsonObject().put("Authorization", "Bearer " + TOKEN).put("X-Api-Key", API_KEY)
              .put("Accept-Language", "fr"))
          .put("secretHeaders", new JsonArray().add("x-api-key"));
      JsonObject body = new JsonObject().put("type", "download").put("request", request).put("urls", new JsonArray()
          .add(target.url("/warc/custom.txt"))
          .add(target.url("/bytes/w-big?size=200000"))
          .add(target.url("/chunked/w-chunked?size=3000&type=text/csv"))
          .add(target.url("/status/404"))
          .add(target.url("/warc/many")));
      RunningService.Response submitted = fetchd.post("/jobs", body.encode());
      assertThat(submitted.status()).as(submitted.body()).isEqualTo(202);
      String id = submitted.json().getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      List<JsonObject> ok = succeeded(fetchd, id);
      assertThat(ok).extracting(i -> i.getInteger("index")).containsExactly(0, 1, 2, 4);

      HttpResponse<byte[]> plain = warc(fetchd, id, "");
      assertThat(plain.statusCode()).isEqualTo(200);
      assertThat(plain.headers().firstValue("Content-Type")).hasValue("application/warc");
      assertThat(plain.headers().firstValue("Content-Disposition").orElseThrow()).contains(id + ".warc\"");
      String text = new String(plain.body(), StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("WARC/1.1\r\n").doesNotContain(TOKEN).doesNotContain(API_KEY);

      Export export = read(plain.body());
      assertThat(export.info().first("software")).hasValue("fetchd");
      checkCaptures(export, ok);

      // the response heads as the target sent them
      Capture custom = export.captures().get(0);
      assertThat(custom.received().status()).isEqualTo(200);
      assertThat(custom.received().headers().first("X-Custom")).hasValue("hello warc");
      assertThat(custom.received().headers().first("ETag")).hasValue("\"v1\"");
      assertThat(custom.received().headers().first("Content-Type")).hasValue("text/plain; charset=utf-8");
      assertThat(custom.payload()).asString().isEqualTo("hello warc\n");
      assertThat(export.captures().get(1).payload()).isEqualTo(TargetServer.body("w-big", 200000));
      // a chunked answer: the body is stored de-chunked, so the header is kept under another name
      Capture chunked = export.captures().get(2);
      assertThat(chunked.received().headers().first("Transfer-Encoding")).isEmpty();
      assertThat(chunked.received().headers().first("X-Fetchd-Original-Transfer-Encoding")).hasValue("chunked");
      assertThat(chunked.payload()).isEqualTo(TargetServer.body("w-chunked", 3000));
      // a head is bounded: 64 headers kept, the rest named
      Capture many = export.captures().get(3);
      assertThat(many.received().headers().map()).hasSize(65);
      assertThat(many.received().headers().first("X-Fetchd-Truncated").orElseThrow()).startsWith("3");

      // the request as sent, secrets as ***
      var sent = custom.sent().headers();
      assertThat(custom.sent().target()).isEqualTo("/warc/custom.txt");
      assertThat(sent.first("Authorization")).hasValue("***");
      assertThat(sent.first("X-Api-Key")).hasValue("***");
      assertThat(sent.first("Accept-Language")).hasValue("fr");
      assertThat(sent.first("Host")).hasValue(URI.create(target.baseUrl()).getAuthority());
      assertThat(sent.first("User-Agent")).isPresent();

      // gzip: one gzip member per record, the same records
      HttpResponse<byte[]> gz = warc(fetchd, id, "?gzip=true");
      assertThat(gz.statusCode()).isEqualTo(200);
      assertThat(gz.headers().firstValue("Content-Disposition").orElseThrow()).contains(id + ".warc.gz\"");
      Export unzipped = read(gz.body());
      checkCaptures(unzipped, ok);
      assertThat(unzipped.positions()).hasSize(1 + 2 * ok.size());
      for (long at : unzipped.positions()) {
        assertThat(gz.body()[(int) at] & 0xff).as("a gzip member starts at record offset " + at).isEqualTo(0x1f);
        assertThat(gz.body()[(int) at + 1] & 0xff).isEqualTo(0x8b);
      }
      assertThat(unzipped.captures().get(0).received().headers().first("X-Custom")).hasValue("hello warc");

      assertThat(warc(fetchd, "no-such-job", "").statusCode()).isEqualTo(404);
      assertThat(fetchd.blockedThreads()).isEmpty();
    }
  }

  @Test
  void clientsThatLeaveMidExportFreeTheirWorkers() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      String id = fetchd.submitDownload(List.of(target.url("/big/w-leave?size=16000000")), null).getString("id");
      assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(60)).getString("state")).isEqualTo("completed");
      // more readers than the export has workers read a little and hang up (the rest waits on back pressure)
      for (int i = 0; i < 4; i++) {
        HttpResponse<java.io.InputStream> r = HTTP.send(HttpRequest.newBuilder(
            URI.create(fetchd.baseUrl() + "/jobs/" + id + "/warc")).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream in = r.body()) {
          assertThat(in.readNBytes(1000)).hasSize(1000);
        }
      }
      // a worker left waiting on a gone client would hold this one back for minutes
      long start = System.nanoTime();
      HttpResponse<byte[]> whole = warc(fetchd, id, "");
      assertThat(whole.statusCode()).isEqualTo(200);
      assertThat(read(whole.body()).captures().get(0).payload()).hasSize(16_000_000);
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
      assertThat(fetchd.blockedThreads()).isEmpty();
    }
  }

  @Test
  void anotherOwnersJobIsNotFound() throws Exception {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("apiTokens", ALICE + "," + BOB))) {
      String body = new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/owned?size=10"))).encode();
      RunningService.Response submitted = fetchd.post("/jobs", body, "Authorization", "Bearer " + ALICE);
      assertThat(submitted.status()).isEqualTo(202);
      String id = submitted.json().getString("id");
      assertThat(fetchd.get("/jobs/" + id + "?wait=10", "Authorization", "Bearer " + ALICE).json()
          .getString("state")).isEqualTo("completed");
      assertThat(warc(fetchd, id, "", "Authorization", "Bearer " + BOB).statusCode()).isEqualTo(404);
      assertThat(warc(fetchd, id, "").statusCode()).isEqualTo(401);
      HttpResponse<byte[]> own = warc(fetchd, id, "", "Authorization", "Bearer " + ALICE);
      assertThat(own.statusCode()).isEqualTo(200);
      assertThat(read(own.body()).captures()).hasSize(1);
    }
  }

  @Test
  void withPostgresTheHeadsSurviveInTheStore(@TempDir Path data) throws Exception {
    PgTestDatabase.url(); // skips without a database
    String schema = "fetchd_test_warc";
    Vertx admin = Vertx.vertx();
    try (TargetServer target = TargetServer.start()) {
      PgTestDatabase.dropSchema(admin, schema);
      target.route("/warc/custom.txt", WarcExportTest::custom);
      Map<String, Object> settings = Map.of("store", "postgres", "pg.url", PgTestDatabase.url(), "pg.schema", schema,
          "data.dir", data.toString());
      String id;
      try (RunningService first = RunningService.start(settings)) {
        id = first.submitDownload(List.of(target.url("/warc/custom.txt"), target.url("/bytes/pg-w?size=5000")), null)
            .getString("id");
        assertThat(first.awaitTerminal(id, Duration.ofSeconds(30)).getString("state")).isEqualTo("completed");
      }
      // a new process: all it knows comes from PostgreSQL and the files
      try (RunningService second = RunningService.start(settings)) {
        HttpResponse<byte[]> r = warc(second, id, "");
        assertThat(r.statusCode()).isEqualTo(200);
        Export export = read(r.body());
        checkCaptures(export, succeeded(second, id));
        Capture custom = export.captures().get(0);
        assertThat(custom.received().headers().first("X-Custom")).hasValue("hello warc");
        assertThat(custom.received().headers().first("X-Fetchd-Head")).isEmpty();
        assertThat(custom.sent().headers().first("Accept")).hasValue("*/*");
      }
    } finally {
      PgTestDatabase.dropSchema(admin, schema);
      admin.close().await();
    }
  }
}
