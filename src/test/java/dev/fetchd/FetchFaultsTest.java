package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.HostileServer;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Faults of a target seen through the real service: real sockets, scripted servers, no mocks. Each test is a
 * case fetchd once misreported (issue 11).
 */
class FetchFaultsTest {
  static TargetServer target;
  static HostileServer hostile;
  static RunningService fetchd;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    hostile = HostileServer.start();
    fetchd = RunningService.start();
  }

  @AfterAll
  static void stop() {
    fetchd.close();
    hostile.close();
    target.close();
  }

  private static List<JsonObject> run(List<String> urls, JsonObject limits) {
    String id = fetchd.submitDownload(urls, limits).getString("id");
    assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(120)).getString("state")).isEqualTo("completed");
    assertThat(fetchd.partialFiles()).isZero();
    assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
    return fetchd.items(id);
  }

  private static JsonObject one(String url, JsonObject limits) {
    return run(List.of(url), limits).get(0);
  }

  /** The items that did not succeed in one attempt, as "url error attempts" lines (short failure output). */
  private static List<String> notWholeAtFirstTry(List<JsonObject> items) {
    return items.stream().filter(i -> !"succeeded".equals(i.getString("state")) || i.getInteger("attempts") != 1)
        .map(i -> i.getString("url") + " " + i.getJsonObject("error") + " attempts=" + i.getInteger("attempts"))
        .toList();
  }

  @Test
  void completeBodiesSurviveServerCloseRightAfter() {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      urls.add(hostile.url("/close-delimited/cd" + i + "?size=1000000"));
      urls.add(hostile.url("/length-close/lc" + i + "?size=1048576"));
    }
    // bodies that fit the socket buffers: the whole answer and the close are read in one go, while fetchd holds
    // the body back to open its temp file
    for (int i = 0; i < 50; i++) {
      urls.add(hostile.url("/close-delimited/scd" + i + "?size=300000"));
      urls.add(hostile.url("/length-close/slc" + i + "?size=300000"));
    }
    List<JsonObject> items = run(urls, new JsonObject().put("retries", 0).put("concurrency", 16)
        .put("perHostConcurrency", 16));
    assertThat(notWholeAtFirstTry(items)).isEmpty();
    for (JsonObject i : items) {
      String url = i.getString("url");
      String name = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
      long size = Long.parseLong(url.substring(url.indexOf("size=") + 5));
      assertThat(i.getLong("bytes")).isEqualTo(size);
      assertThat(i.getString("sha256")).isEqualTo(TargetServer.sha256(name, size));
    }
  }

  @Test
  void keepAliveCloseWithoutNoticeIsRetriedOnFreshConnection() {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      urls.add(hostile.url("/length-close/ka" + i + "?size=2000"));
    }
    List<JsonObject> items = run(urls, new JsonObject().put("retries", 0).put("concurrency", 8)
        .put("perHostConcurrency", 8));
    assertThat(notWholeAtFirstTry(items)).isEmpty();
  }

  @Test
  void shortBodyIsTruncated() {
    // small (gathered in memory) and large (streamed to a file) bodies alike, cut by a close or a reset
    List<JsonObject> items = run(List.of(target.url("/short/s1?size=10000&send=4000"),
        target.url("/short/s2?size=2000000&send=1000000"), hostile.url("/short-close/s3?size=200000&send=100000"),
        hostile.url("/short-close/s4?size=2000&send=1000"), target.url("/reset/s5?size=100000&after=30000")),
        new JsonObject().put("retries", 0));
    assertThat(items).allSatisfy(i -> {
      assertThat(i.getString("state")).isEqualTo("failed");
      assertThat(i.getJsonObject("error").getString("code")).isEqualTo("truncated");
    });
  }

  @Test
  void timeoutsAreRetried() {
    JsonObject item = one(target.url("/stall?n=retried"), new JsonObject().put("retries", 2).put("requestTimeoutMs", 200));
    assertThat(item.getString("state")).isEqualTo("failed");
    assertThat(item.getJsonObject("error").getString("code")).isEqualTo("timeout");
    assertThat(item.getInteger("attempts")).isEqualTo(3);
  }

  @Test
  void aStatusLineWithANulIsAnInvalidResponseWithACleanMessage() {
    for (String path : List.of("/nul-status", "/garbage")) {
      JsonObject item = one(hostile.url(path), new JsonObject().put("retries", 0));
      assertThat(item.getString("state")).isEqualTo("failed");
      assertThat(item.getJsonObject("error").getString("code")).as(path).isEqualTo("invalid_response");
      String message = item.getJsonObject("error").getString("message");
      assertThat(message.chars().noneMatch(c -> c < 0x20 || c == 0x7f)).as(message).isTrue();
    }
  }

  @Test
  void rawUtf8LocationIsFollowedAsUtf8() {
    JsonObject item = one(hostile.url("/utf8-location/landing/"), new JsonObject().put("retries", 0));
    assertThat(item.getString("state")).isEqualTo("succeeded");
    assertThat(item.getString("finalUrl")).endsWith("/landing/%C3%A9");
    assertThat(hostile.requestLines()).contains("GET /landing/%C3%A9 HTTP/1.1");
  }

  @Test
  void aHugeRobotsTxtIsParsedFromItsFirst500KiB() {
    StringBuilder robots = new StringBuilder("User-agent: *\nDisallow: /private\n");
    String filler = "# " + "x".repeat(1000) + "\n";
    while (robots.length() < 10_000_000) {
      robots.append(filler);
    }
    try (TargetServer site = TargetServer.start()) {
      site.page("/robots.txt", "text/plain", robots.toString());
      site.html("/index", "<a href=\"/private/secret\">s</a><a href=\"/public\">p</a>");
      site.html("/public", "public");
      JsonObject body = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(site.url("/index")))
          .put("crawl", new JsonObject().put("maxDepth", 1)).put("limits", new JsonObject().put("retries", 0));
      RunningService.Response r = fetchd.post("/jobs", body.encode());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      String id = r.json().getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(60));
      Map<String, JsonObject> byPath = fetchd.items(id).stream().collect(Collectors.toMap(
          i -> i.getString("url").replaceFirst("^http://[^/]+", ""), i -> i));
      assertThat(byPath.get("/index").getString("state")).isEqualTo("succeeded");
      assertThat(byPath.get("/public").getString("state")).isEqualTo("succeeded");
      assertThat(byPath.get("/private/secret").getString("state")).isEqualTo("skipped");
      assertThat(byPath.get("/private/secret").getJsonObject("error").getString("message"))
          .isEqualTo("disallowed by robots.txt");
    }
  }

  @Test
  void idnAndUnderscoreHostsAreAcceptedAndKeyedApart() {
    // names that resolve only here, to the loopback target, which the allow-list opens
    try (RunningService named = RunningService.start(Map.of("allowPrivateNetworks", false, "allowNetworks", "127.0.0.1/32"),
        HostileTargetsTest.names(Map.of("xn--bcher-kva.test", "127.0.0.1", "under_score.test", "127.0.0.1")))) {
      List<String> urls = List.of("http://bücher.test:" + target.port() + "/bytes/idn?size=10",
          "http://under_score.test:" + target.port() + "/bytes/underscore?size=10");
      String id = named.submitDownload(urls, new JsonObject().put("retries", 0)).getString("id");
      assertThat(named.awaitTerminal(id, Duration.ofSeconds(20)).getString("state")).isEqualTo("completed");
      List<JsonObject> items = named.items(id);
      assertThat(notWholeAtFirstTry(items)).isEmpty();
      assertThat(items.get(0).getString("finalUrl")).startsWith("http://xn--bcher-kva.test:");
      assertThat(items.get(1).getString("finalUrl")).startsWith("http://under_score.test:");

      // a crawl of an underscore host follows its links there
      target.html("/us/index", "<a href=\"/us/next\">next</a>").html("/us/next", "next");
      JsonObject body = new JsonObject().put("type", "crawl")
          .put("urls", new JsonArray().add("http://under_score.test:" + target.port() + "/us/index"))
          .put("crawl", new JsonObject().put("maxDepth", 1).put("robots", false))
          .put("limits", new JsonObject().put("retries", 0));
      RunningService.Response r = named.post("/jobs", body.encode());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      String crawl = r.json().getString("id");
      named.awaitTerminal(crawl, Duration.ofSeconds(20));
      List<JsonObject> pages = named.items(crawl);
      assertThat(pages).hasSize(2);
      assertThat(notWholeAtFirstTry(pages)).isEmpty();
    }
  }

  @Test
  void ipv4TranslatedIpv6IsDeniedWithoutAConnection() {
    try (RunningService strict = RunningService.start(Map.of("allowPrivateNetworks", false))) {
      int before = hostile.connections();
      List<String> urls = List.of("http://[::ffff:0:7f00:1]:" + hostile.port() + "/landing/t",
          "http://[::7f00:1]:" + hostile.port() + "/landing/c", "http://[64:ff9b::7f00:1]:" + hostile.port() + "/landing/n");
      String id = strict.submitDownload(urls, new JsonObject().put("retries", 0)).getString("id");
      strict.awaitTerminal(id, Duration.ofSeconds(20));
      assertThat(strict.items(id)).allSatisfy(i ->
          assertThat(i.getJsonObject("error").getString("code")).isEqualTo("blocked_address"));
      assertThat(hostile.connections()).isEqualTo(before);
    }
  }
}
