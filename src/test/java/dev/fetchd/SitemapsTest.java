package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.store.PgTestDatabase;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** crawl.sitemaps against a real site: robots.txt Sitemap lines, a gzipped index, XML and text sitemaps. */
class SitemapsTest {

  /**
   * A site whose seed links only to /linked; robots.txt names a gzipped sitemap index pointing to an XML sitemap
   * (two hidden pages, one on another host, one excluded) and a text sitemap (one more hidden page, one repeat).
   */
  static void site(TargetServer target) {
    target.html("/home", "<a href='/linked'>linked</a>");
    target.html("/linked", "no links");
    for (String p : List.of("a", "b", "c", "out", "excluded")) {
      target.html("/hidden/" + p, "hidden " + p);
    }
    target.page("/robots.txt", "text/plain", "User-agent: *\nAllow: /\n\nSitemap: " + target.url("/maps/index.xml.gz") + "\n");
    String index = "<?xml version='1.0' encoding='UTF-8'?>\n"
        + "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "<sitemap><loc>" + target.url("/maps/pages.xml") + "</loc></sitemap>"
        + "<sitemap><loc>" + target.url("/maps/more.txt") + "</loc></sitemap>"
        + "</sitemapindex>";
    target.page("/maps/index.xml.gz", 200, "application/octet-stream", gzip(index.getBytes(StandardCharsets.UTF_8)));
    target.page("/maps/pages.xml", "application/xml", "<?xml version='1.0' encoding='UTF-8'?>\n"
        + "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "<url><loc>" + target.url("/hidden/a") + "</loc></url>"
        + "<url><loc>" + target.url("/hidden/b") + "</loc></url>"
        + "<url><loc>http://localhost:" + target.port() + "/hidden/out</loc></url>"
        + "<url><loc>" + target.url("/hidden/excluded") + "</loc></url>"
        + "</urlset>");
    target.page("/maps/more.txt", "text/plain", target.url("/hidden/c") + "\n" + target.url("/hidden/a") + "\n");
  }

  static String crawl(RunningService fetchd, String seed, JsonObject crawl) {
    JsonObject body = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(seed)).put("crawl", crawl)
        .put("limits", new JsonObject().put("retries", 0));
    RunningService.Response r = fetchd.post("/jobs", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().getString("id");
  }

  static Map<String, JsonObject> byPath(RunningService fetchd, String id) {
    return fetchd.items(id).stream().collect(Collectors.toMap(
        i -> i.getString("url").replaceFirst("^http://[^/]+", ""), Function.identity()));
  }

  static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /** What a crawl of {@link #site} with sitemaps finds: the hidden pages in scope, said to come from a sitemap. */
  static void assertSitemapCrawl(RunningService fetchd, TargetServer target, String id) {
    JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
    assertThat(job.getString("state")).isEqualTo("completed");
    assertThat(job.getJsonObject("spec").getJsonObject("crawl").getBoolean("sitemaps")).isTrue();
    Map<String, JsonObject> items = byPath(fetchd, id);
    assertThat(items.keySet()).containsExactlyInAnyOrder("/home", "/linked", "/hidden/a", "/hidden/b", "/hidden/c");
    for (String p : List.of("/hidden/a", "/hidden/b", "/hidden/c")) {
      JsonObject item = items.get(p);
      assertThat(item.getString("via")).as(p).isEqualTo("sitemap");
      assertThat(item.getString("state")).as(p).isEqualTo("succeeded");
      assertThat(item.getInteger("depth")).isEqualTo(1);
      assertThat(target.requests(p)).as(p).isEqualTo(1);
    }
    assertThat(items.get("/hidden/c").getString("parent")).endsWith("/maps/more.txt");
    assertThat(items.get("/hidden/a").getString("parent")).endsWith("/maps/pages.xml");
    assertThat(items.get("/home").containsKey("via")).isFalse();
    assertThat(items.get("/linked").containsKey("via")).isFalse();
    // out of scope (another host) and excluded: listed, never fetched
    assertThat(target.requests("/hidden/out")).isZero();
    assertThat(target.requests("/hidden/excluded")).isZero();
    assertThat(target.requests("/maps/index.xml.gz")).isEqualTo(1);
  }

  @Test
  void aCrawlWithSitemapsFetchesThePagesItsSitemapsListWithinScope() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      site(target);
      String id = crawl(fetchd, target.url("/home"), new JsonObject().put("sitemaps", true).put("maxDepth", 1)
          .put("exclude", new JsonArray().add("/excluded$")));
      assertSitemapCrawl(fetchd, target, id);
      assertThat(fetchd.blockedThreads()).isEmpty();
    }
  }

  @Test
  void aSitemapsOptionThatIsNotABooleanIsRefusedNamingIt() {
    try (RunningService fetchd = RunningService.start()) {
      JsonObject body = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add("http://127.0.0.1:9/"))
          .put("crawl", new JsonObject().put("sitemaps", "yes"));
      RunningService.Response r = fetchd.post("/jobs", body.encode());
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.header("Content-Type")).startsWith("application/problem+json");
      assertThat(r.body()).contains("/crawl/sitemaps");
    }
  }

  @Test
  void withoutSitemapsTheyAreNeitherReadNorFollowed() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      site(target);
      String id = crawl(fetchd, target.url("/home"), new JsonObject().put("maxDepth", 1));
      assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(30)).getString("state")).isEqualTo("completed");
      assertThat(byPath(fetchd, id).keySet()).containsExactlyInAnyOrder("/home", "/linked");
      assertThat(target.requestLog()).noneMatch(r -> r.contains("/maps/") || r.contains("/hidden/"));
    }
  }

  @Test
  void sitemapUrlsCountAgainstMaxPages() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      site(target);
      String id = crawl(fetchd, target.url("/home"), new JsonObject().put("sitemaps", true).put("maxPages", 3));
      assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(30)).getString("state")).isEqualTo("completed");
      assertThat(fetchd.items(id)).hasSize(3);
      long pageFetches = target.requestLog().stream()
          .filter(r -> r.startsWith("GET /home") || r.startsWith("GET /linked") || r.startsWith("GET /hidden/")).count();
      assertThat(pageFetches).isEqualTo(3);
    }
  }

  @Test
  void withoutSitemapLinesInRobotsTxtSitemapXmlIsRead() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.html("/home", "nothing linked");
      target.html("/hidden/f", "found by /sitemap.xml");
      target.page("/sitemap.xml", "text/xml", "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
          + "<url><loc>" + target.url("/hidden/f") + "</loc></url></urlset>");
      String id = crawl(fetchd, target.url("/home"), new JsonObject().put("sitemaps", true));
      assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(30)).getString("state")).isEqualTo("completed");
      Map<String, JsonObject> items = byPath(fetchd, id);
      assertThat(items.keySet()).containsExactlyInAnyOrder("/home", "/hidden/f");
      assertThat(items.get("/hidden/f").getString("via")).isEqualTo("sitemap");
      assertThat(items.get("/hidden/f").getString("state")).isEqualTo("succeeded");
    }
  }

  @Test
  void brokenMissingAndOversizedSitemapsAreSkippedAndTheJobGoesOn() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.html("/home", "nothing linked");
      target.html("/hidden/ok", "listed by the one good sitemap");
      target.page("/robots.txt", "text/plain", "User-agent: *\nAllow: /\n"
          + "Sitemap: " + target.url("/maps/broken.xml") + "\n"
          + "Sitemap: " + target.url("/maps/missing.xml") + "\n"
          + "Sitemap: " + target.url("/maps/bomb.xml.gz") + "\n"
          + "Sitemap: " + target.url("/maps/badgzip.xml.gz") + "\n"
          + "Sitemap: " + target.url("/maps/ok.txt") + "\n");
      target.page("/maps/broken.xml", "text/xml", "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc");
      // 60 MiB of blanks in about 60 KiB: more than the protocol's 50 MiB once uncompressed
      byte[] blanks = new byte[60 * 1024 * 1024];
      java.util.Arrays.fill(blanks, (byte) ' ');
      target.page("/maps/bomb.xml.gz", 200, "application/gzip", gzip(blanks));
      target.page("/maps/badgzip.xml.gz", 200, "application/gzip", new byte[] {0x1f, (byte) 0x8b, 1, 2, 3});
      target.page("/maps/ok.txt", "text/plain", target.url("/hidden/ok") + "\n");
      String id = crawl(fetchd, target.url("/home"), new JsonObject().put("sitemaps", true));
      JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(job.getString("state")).isEqualTo("completed");
      Map<String, JsonObject> items = byPath(fetchd, id);
      assertThat(items.keySet()).containsExactlyInAnyOrder("/home", "/hidden/ok");
      assertThat(items.get("/hidden/ok").getString("via")).isEqualTo("sitemap");
      assertThat(target.requests("/maps/bomb.xml.gz")).isEqualTo(1);
      assertThat(fetchd.blockedThreads()).isEmpty();
    }
  }

  @Test
  void withPostgresTheItemsSayViaSitemapFromTheDatabase() {
    PgTestDatabase.url(); // skips without a database
    String schema = "fetchd_test_sitemaps";
    Vertx admin = Vertx.vertx();
    try (TargetServer target = TargetServer.start()) {
      PgTestDatabase.dropSchema(admin, schema);
      Map<String, Object> settings = new HashMap<>(Map.of("store", "postgres", "pg.url", PgTestDatabase.url(),
          "pg.schema", schema));
      String id;
      try (RunningService fetchd = RunningService.start(settings)) {
        site(target);
        id = crawl(fetchd, target.url("/home"), new JsonObject().put("sitemaps", true).put("maxDepth", 1)
            .put("exclude", new JsonArray().add("/excluded$")));
        assertSitemapCrawl(fetchd, target, id);
      }
      var rows = PgTestDatabase.sql(admin, schema, "SELECT url, via FROM fetchd_items WHERE job_id = '" + id + "'");
      Map<String, String> via = new HashMap<>();
      rows.forEach(r -> via.put(r.getString("url").replaceFirst("^http://[^/]+", ""), String.valueOf(r.getString("via"))));
      assertThat(via).containsEntry("/hidden/a", "sitemap").containsEntry("/hidden/c", "sitemap")
          .containsEntry("/home", "null").containsEntry("/linked", "null");
      // a fresh replica reads the spec and the items back from the database
      try (RunningService again = RunningService.start(settings)) {
        assertThat(byPath(again, id).get("/hidden/b").getString("via")).isEqualTo("sitemap");
        assertThat(again.get("/jobs/" + id).body()).contains("\"sitemaps\":true");
      }
    } finally {
      admin.close().await();
    }
  }
}
