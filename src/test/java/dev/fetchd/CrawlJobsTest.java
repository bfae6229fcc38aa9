package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class CrawlJobsTest {

  private static String crawl(RunningService fetchd, String seed, JsonObject crawl) {
    JsonObject body = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(seed)).put("crawl", crawl)
        .put("limits", new JsonObject().put("retries", 0));
    RunningService.Response r = fetchd.post("/jobs", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().getString("id");
  }

  private static Map<String, JsonObject> byPath(RunningService fetchd, String id) {
    return fetchd.items(id).stream().collect(Collectors.toMap(
        i -> i.getString("url").replaceFirst("^http://[^/]+", ""), Function.identity()));
  }

  @Test
  void aCrawlFollowsLinksInScopeToMaxDepthFetchingEachPageOnce() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.html("/site/index", "<a href='a'>a</a> <a href='/site/b#top'>b</a> <a href='/site/a'>a again</a>"
          + "<a href='http://localhost:" + target.port() + "/site/elsewhere'>other host</a>"
          + "<a href='mailto:x@y.z'>mail</a> <a href='/site/./b'>b dot</a> <a href='HTTP://127.0.0.1:" + target.port() + "/site/b'>b upper</a>");
      target.html("/site/a", "<a href='/site/c'>c</a> <a href='/site/index'>home</a>");
      target.html("/site/b", "<base href='/site/sub/'><a href='e'>e under base</a>");
      target.html("/site/c", "<a href='/site/d'>too deep</a>");
      target.html("/site/sub/e", "leaf");
      String id = crawl(fetchd, target.url("/site/index"), new JsonObject().put("maxDepth", 2));
      JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(job.getString("state")).isEqualTo("completed");

      Map<String, JsonObject> items = byPath(fetchd, id);
      assertThat(items.keySet()).contains("/site/index", "/site/a", "/site/b", "/site/c", "/site/sub/e")
          .doesNotContain("/site/d", "/site/elsewhere");
      assertThat(items.get("/site/index").getInteger("depth")).isZero();
      assertThat(items.get("/site/c").getInteger("depth")).isEqualTo(2);
      assertThat(items.get("/site/c").getString("parent")).endsWith("/site/a");
      assertThat(items.get("/site/a").getString("kind")).isEqualTo("page");
      assertThat(items.values()).allSatisfy(i -> assertThat(i.getString("state")).isEqualTo("succeeded"));
      for (String page : List.of("/site/index", "/site/a", "/site/b", "/site/c")) {
        assertThat(target.requests(page)).as(page).isEqualTo(1);
      }
      assertThat(target.requests("/site/d")).isZero();
      assertThat(job.getJsonObject("progress").getJsonObject("pages").getLong("succeeded")).isEqualTo(items.size());
    }
  }

  @Test
  void maxPagesIsAHardLimitOnPageFetches() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      StringBuilder hub = new StringBuilder();
      for (int i = 0; i < 60; i++) {
        hub.append("<a href='/hub/p").append(i).append("'>p</a>");
        target.html("/hub/p" + i, "<a href='/hub/q" + i + "'>deeper</a>");
      }
      target.html("/hub/", hub.toString());
      String id = crawl(fetchd, target.url("/hub/"), new JsonObject().put("maxPages", 10).put("maxDepth", 5));
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(fetchd.items(id)).hasSize(10);
      long pageRequests = target.requestLog().stream().filter(r -> r.startsWith("GET /hub/")).count();
      assertThat(pageRequests).isEqualTo(10);
    }
  }

  @Test
  void robotsTxtIsObeyedFetchedOnceAndItsCrawlDelayHonoured() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.page("/robots.txt", "text/plain", "User-agent: *\nDisallow: /r/private\nAllow: /r/private/open\n"
          + "Crawl-delay: 0.2\n\nUser-agent: otherbot\nDisallow: /\n");
      target.html("/r/index", "<a href='/r/private/secret'>no</a> <a href='/r/private/open/page'>yes</a>"
          + "<a href='/r/public'>yes</a>");
      target.html("/r/private/open/page", "ok");
      target.html("/r/public", "ok");
      long t0 = System.nanoTime();
      String id = crawl(fetchd, target.url("/r/index"), new JsonObject());
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      Map<String, JsonObject> items = byPath(fetchd, id);
      JsonObject secret = items.get("/r/private/secret");
      assertThat(secret.getString("state")).isEqualTo("skipped");
      assertThat(secret.getJsonObject("error").getString("code")).isEqualTo("robots");
      assertThat(items.get("/r/private/open/page").getString("state")).isEqualTo("succeeded");
      assertThat(items.get("/r/public").getString("state")).isEqualTo("succeeded");
      assertThat(target.requests("/r/private/secret")).isZero();
      // three fetches 200 ms apart
      assertThat(ms).isGreaterThanOrEqualTo(400);

      // a second job reuses the cached robots.txt
      String again = crawl(fetchd, target.url("/r/public"), new JsonObject());
      fetchd.awaitTerminal(again, Duration.ofSeconds(30));
      assertThat(target.requests("/robots.txt")).isEqualTo(1);
    }
  }

  @Test
  void anUnreachableRobotsTxtDisallowsAndAMissingOneAllows() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.page("/robots.txt", 503, "text/plain", "down".getBytes());
      target.html("/u/index", "hello");
      String id = crawl(fetchd, target.url("/u/index"), new JsonObject());
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(fetchd.items(id).get(0).getString("state")).isEqualTo("skipped");
      assertThat(target.requests("/u/index")).isZero();
    }
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.html("/m/index", "hello"); // no robots.txt registered: 404
      String id = crawl(fetchd, target.url("/m/index"), new JsonObject());
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(fetchd.items(id).get(0).getString("state")).isEqualTo("succeeded");
    }
  }

  @Test
  void assetsOfPagesAreDownloadedIncludingPagesAtMaxDepth() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.html("/g/index", "<link rel='icon' href='/bytes/favicon?size=50&type=image/x-icon'>"
          + "<img src='/bytes/logo?size=200&type=image/png'>"
          + "<img srcset='/bytes/small?size=100 1x, /bytes/big?size=300 2x'>"
          + "<a href='/g/deep'>deep</a> <a rel='nofollow' href='/g/nofollow'>no</a>");
      target.html("/g/deep", "<meta name='robots' content='nofollow'><img src='/bytes/deep-img?size=70'>"
          + "<a href='/g/never'>never</a>");
      String id = crawl(fetchd, target.url("/g/index"), new JsonObject().put("maxDepth", 1).put("assets", true));
      JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      Map<String, JsonObject> items = byPath(fetchd, id);
      assertThat(items.keySet()).contains("/bytes/favicon?size=50&type=image/x-icon", "/bytes/logo?size=200&type=image/png",
          "/bytes/small?size=100", "/bytes/big?size=300", "/g/deep", "/bytes/deep-img?size=70")
          .doesNotContain("/g/nofollow", "/g/never");
      JsonObject logo = items.get("/bytes/logo?size=200&type=image/png");
      assertThat(logo.getString("kind")).isEqualTo("asset");
      assertThat(logo.getString("sha256")).isEqualTo(TargetServer.sha256("logo", 200));
      assertThat(logo.getString("contentType")).isEqualTo("image/png");
      assertThat(items.get("/bytes/deep-img?size=70").getInteger("depth")).isEqualTo(2);
      JsonObject progress = job.getJsonObject("progress");
      assertThat(progress.getJsonObject("assets").getLong("succeeded")).isEqualTo(5);
      assertThat(progress.getJsonObject("pages").getLong("succeeded")).isEqualTo(2);
      assertThat(progress.getLong("discovered")).isEqualTo(7);
    }
  }

  @Test
  void anUnreachableOrBlockedSiteFailsWithItsRealReasonNotAsRobots() {
    try (RunningService fetchd = RunningService.start(Map.of("allowPrivateNetworks", false))) {
      String id = crawl(fetchd, "http://10.0.0.1/", new JsonObject());
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      JsonObject item = fetchd.items(id).get(0);
      assertThat(item.getString("state")).isEqualTo("failed");
      assertThat(item.getJsonObject("error").getString("code")).isEqualTo("blocked_address");
    }
    try (RunningService fetchd = RunningService.start()) {
      String id = crawl(fetchd, "http://127.0.0.1:1/", new JsonObject());
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(fetchd.items(id).get(0).getJsonObject("error").getString("code")).isEqualTo("connect_failed");
    }
  }

  @Test
  void nonHtmlPagesAreStoredButNotParsed() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.page("/n/data.txt", "text/plain", "<a href='/n/not-a-link'>x</a>");
      String id = crawl(fetchd, target.url("/n/data.txt"), new JsonObject());
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(fetchd.items(id)).hasSize(1);
      assertThat(target.requests("/n/not-a-link")).isZero();
    }
  }

  @Test
  void aSmallJobFinishesPromptlyWhileAHugeCrawlRuns() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("fetch.maxConcurrency", 8))) {
      StringBuilder hub = new StringBuilder();
      for (int i = 0; i < 400; i++) {
        hub.append("<a href='/bytes/slow-").append(i).append("?delay=100&type=text/html'>p</a>");
      }
      target.html("/big/", hub.toString());
      String big = crawl(fetchd, target.url("/big/"), new JsonObject().put("maxPages", 1000).put("robots", false));
      fetchd.post("/jobs", new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(target.url("/big/")))
          .put("crawl", new JsonObject().put("robots", false)).put("limits", new JsonObject().put("concurrency", 8)
              .put("perHostConcurrency", 8)).encode());
      RunningService.await("the crawl saturates the global permits", Duration.ofSeconds(10),
          () -> fetchd.metric("fetchd_fetch_permits_in_use") == 8);

      long t0 = System.nanoTime();
      String small = fetchd.submitDownload(List.of(target.url("/bytes/small-1"), target.url("/bytes/small-2")),
          new JsonObject().put("perHostConcurrency", 8)).getString("id");
      JsonObject done = fetchd.awaitTerminal(small, Duration.ofSeconds(30));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(done.getString("state")).isEqualTo("completed");
      assertThat(fetchd.get("/jobs/" + big).json().getString("state")).as("the crawl is still running").isEqualTo("running");
      // FIFO permits: the small job waits about one round of the crawl's requests (~100 ms), not for the crawl
      assertThat(ms).isLessThan(3000);
      fetchd.delete("/jobs/" + big);
    }
  }

  @Test
  void badCrawlOptionsAre400NamingTheField() {
    try (RunningService fetchd = RunningService.start()) {
      String bad = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add("http://example.com/"))
          .put("crawl", new JsonObject().put("include", new JsonArray().add("ok").add("(unclosed"))).encode();
      RunningService.Response r = fetchd.post("/jobs", bad);
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("/crawl/include/1");
      String scope = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add("http://example.com/"))
          .put("crawl", new JsonObject().put("scope", "planet")).encode();
      assertThat(fetchd.post("/jobs", scope).json().getJsonArray("errors").getJsonObject(0).getString("field"))
          .isEqualTo("/crawl/scope");
    }
  }
}
