package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.LogCapture;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A job's request options against real targets that record what they receive: headers and cookies arrive where
 * they should and nowhere else, and secret values never come back out of the service.
 */
class RequestOptionsTest {
  static final String TOKEN = "tok-7c1d5e0a9b4f4e2c8d3a";
  static final String API_KEY = "key-2f9e8d7c6b5a4f3e";
  static final String PROXY_AUTH = "Basic cHJveHktdXNlcjpweC05YTRiN2M=";
  static final String RAW_COOKIE = "ck-raw-5d8e1f0a";
  static final String COOKIE_VALUE = "ck-obj-3b6c9d2e";

  /** Answers 200 with a small body when the request carries {@code Authorization: Bearer TOKEN}, else 401. */
  static void bearerOnly(HttpServerRequest req) {
    if (("Bearer " + TOKEN).equals(req.getHeader("Authorization"))) {
      req.response().putHeader("Content-Type", "text/csv").end("id,name\n1,a\n");
    } else {
      req.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer").end("no\n");
    }
  }

  static JsonObject submit(RunningService fetchd, JsonObject body) {
    RunningService.Response r = fetchd.post("/jobs", body.encode());
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    assertThat(r.body()).doesNotContain(TOKEN).doesNotContain(API_KEY).doesNotContain(PROXY_AUTH)
        .doesNotContain(RAW_COOKIE).doesNotContain(COOKIE_VALUE);
    return r.json();
  }

  @Test
  void aDownloadBehindBearerAuthSucceedsAndItsSecretsNeverComeBackOut() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start();
         LogCapture logs = LogCapture.start()) {
      target.route("/api/export.csv", RequestOptionsTest::bearerOnly);
      JsonObject request = new JsonObject()
          .put("headers", new JsonObject().put("Authorization", "Bearer " + TOKEN).put("X-Api-Key", API_KEY)
              .put("Proxy-Authorization", PROXY_AUTH).put("Cookie", "raw=" + RAW_COOKIE).put("Accept-Language", "fr"))
          .put("secretHeaders", new JsonArray().add("x-api-key"))
          .put("cookies", new JsonArray().add(new JsonObject().put("name", "obj").put("value", COOKIE_VALUE)));
      JsonObject job = submit(fetchd, new JsonObject().put("type", "download").put("request", request)
          .put("urls", new JsonArray().add(target.url("/api/export.csv")).add(target.url("/bytes/slow?size=10&delay=300"))));
      String id = job.getString("id");
      // follow the job live while it runs: the stream must not carry a secret either
      CompletableFuture<HttpResponse<String>> events = HttpClient.newHttpClient().sendAsync(
          HttpRequest.newBuilder(URI.create(fetchd.baseUrl() + "/jobs/" + id + "/events"))
              .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());

      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getJsonObject("progress").getLong("succeeded")).isEqualTo(2);
      // the target got every header as given
      Map<String, String> got = target.requestHeaders("/api/export.csv").get(0);
      assertThat(got).containsEntry("Authorization", "Bearer " + TOKEN).containsEntry("X-Api-Key", API_KEY)
          .containsEntry("Proxy-Authorization", PROXY_AUTH).containsEntry("Accept-Language", "fr");
      assertThat(got.get("Cookie")).contains("raw=" + RAW_COOKIE).contains("obj=" + COOKIE_VALUE);
      assertThat(fetchd.getBytes("/jobs/" + id + "/items/0/content").body()).asString().isEqualTo("id,name\n1,a\n");

      // the view names the headers, shows the secret ones as ***
      JsonObject shown = done.getJsonObject("spec").getJsonObject("request");
      assertThat(shown.getJsonObject("headers").getMap()).containsEntry("Authorization", "***")
          .containsEntry("X-Api-Key", "***").containsEntry("Proxy-Authorization", "***").containsEntry("Cookie", "***")
          .containsEntry("Accept-Language", "fr");
      assertThat(shown.getJsonArray("cookies").getJsonObject(0).getMap()).containsEntry("name", "obj")
          .containsEntry("value", "***");
      String eventText = events.get(30, TimeUnit.SECONDS).body();
      assertThat(eventText).contains("event: item").contains("completed");
      List<String> outputs = List.of(done.encode(), fetchd.get("/jobs/" + id).body(), fetchd.get("/jobs").body(),
          fetchd.get("/jobs/" + id + "/items").body(), fetchd.get("/metrics").body(), eventText, logs.text());
      for (String out : outputs) {
        assertThat(out).doesNotContain(TOKEN).doesNotContain(API_KEY).doesNotContain(PROXY_AUTH)
            .doesNotContain(RAW_COOKIE).doesNotContain(COOKIE_VALUE);
      }
      assertThat(logs.text()).contains("job " + id + " queued"); // the capture did see the job's lines
    }
  }

  @Test
  void aRedirectToAnotherOriginArrivesWithoutCredentialsButOtherHeadersStayInScope() {
    try (TargetServer a = TargetServer.start(); TargetServer b = TargetServer.start();
         RunningService fetchd = RunningService.start()) {
      // two ports of one host are two origins; both are origins of the job's URLs
      JsonObject request = new JsonObject()
          .put("headers", new JsonObject().put("Authorization", "Bearer " + TOKEN).put("Accept-Language", "fr")
              .put("X-Api-Key", API_KEY))
          .put("secretHeaders", new JsonArray().add("X-Api-Key"))
          .put("cookies", new JsonArray().add(new JsonObject().put("name", "sid").put("value", "s3")));
      String toB = a.url("/redirect-abs?to=" + b.url("/bytes/landing?size=5"));
      String sameOrigin = a.url("/redirect/1?to=/bytes/next%3Fsize%3D5");
      String id = submit(fetchd, new JsonObject().put("type", "download").put("request", request)
          .put("urls", new JsonArray().add(toB).add(sameOrigin).add(b.url("/bytes/direct?size=5"))))
          .getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getJsonObject("progress").getLong("succeeded")).as(done.encode()).isEqualTo(3);

      Map<String, String> first = a.requestHeaders("/redirect-abs").get(0);
      assertThat(first).containsEntry("Authorization", "Bearer " + TOKEN).containsEntry("Cookie", "sid=s3");
      Map<String, String> landed = b.requestHeaders("/bytes/landing").get(0);
      assertThat(landed).doesNotContainKeys("Authorization", "Cookie", "X-Api-Key")
          .containsEntry("Accept-Language", "fr");
      // a redirect within the origin keeps them; a request straight to the other origin has them
      assertThat(a.requestHeaders("/bytes/next").get(0)).containsEntry("Authorization", "Bearer " + TOKEN)
          .containsEntry("Cookie", "sid=s3");
      assertThat(b.requestHeaders("/bytes/direct").get(0)).containsEntry("Authorization", "Bearer " + TOKEN);
    }
  }

  @Test
  void headersGoOnlyToTheJobsOwnOrigins() {
    try (TargetServer a = TargetServer.start(); TargetServer other = TargetServer.start();
         RunningService fetchd = RunningService.start()) {
      JsonObject request = new JsonObject().put("headers", new JsonObject().put("Accept-Language", "fr"))
          .put("userAgent", "mybot/2.0");
      String id = submit(fetchd, new JsonObject().put("type", "download").put("request", request)
          .put("urls", new JsonArray().add(a.url("/redirect-abs?to=" + other.url("/bytes/away?size=5")))))
          .getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      Map<String, String> away = other.requestHeaders("/bytes/away").get(0);
      assertThat(away).doesNotContainKey("Accept-Language").containsEntry("User-Agent", "mybot/2.0");
    }
  }

  /**
   * Scope decides where a crawl goes; credentials go only to its seeds' origins (and, for scope host or domain, to
   * the in-scope origins of the same scheme). Three ports of one host are three origins: the seed's, a second
   * seed's, and one its page merely links to.
   */
  @Test
  void aCrawlSendsCredentialsOnlyToItsSeedsOriginsWhateverItsScope() {
    try (TargetServer seed = TargetServer.start(); TargetServer linked = TargetServer.start();
         TargetServer secondSeed = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      seed.html("/", "<a href='/inside'>i</a> <a href='" + linked.url("/away") + "'>a</a> <a href='"
          + secondSeed.url("/linked") + "'>s</a>");
      seed.html("/inside", "<p>in</p>");
      linked.html("/away", "<p>away</p>");
      secondSeed.html("/", "<p>second</p>");
      secondSeed.html("/linked", "<p>linked</p>");
      JsonObject request = new JsonObject()
          .put("headers", new JsonObject().put("Authorization", "Bearer " + TOKEN).put("X-Api-Key", API_KEY)
              .put("Proxy-Authorization", "Basic cHJveHk6cHc=").put("Accept-Language", "fr"))
          .put("secretHeaders", new JsonArray().add("X-Api-Key"))
          .put("cookies", new JsonArray().add(new JsonObject().put("name", "sid").put("value", "s3")))
          .put("userAgent", "mybot/2.0");
      for (String scope : List.of("any", "domain")) {
        String id = submit(fetchd, new JsonObject().put("type", "crawl").put("request", request)
            .put("urls", new JsonArray().add(seed.url("/")).add(secondSeed.url("/")))
            .put("crawl", new JsonObject().put("scope", scope).put("maxDepth", 1).put("robots", false)))
            .getString("id");
        JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
        assertThat(done.getJsonObject("progress").getLong("succeeded")).as(done.encode()).isEqualTo(5);

        for (Map<String, String> withCredentials : List.of(last(seed, "/inside"), last(secondSeed, "/linked"))) {
          assertThat(withCredentials).as(scope).containsEntry("Authorization", "Bearer " + TOKEN)
              .containsEntry("X-Api-Key", API_KEY).containsEntry("Proxy-Authorization", "Basic cHJveHk6cHc=")
              .containsEntry("Cookie", "sid=s3").containsEntry("Accept-Language", "fr");
        }
        Map<String, String> away = last(linked, "/away");
        assertThat(away).as(scope).containsEntry("Accept-Language", "fr").containsEntry("User-Agent", "mybot/2.0");
        if (scope.equals("any")) {
          // another port of the seed's host is another origin, and not the job's
          assertThat(away).doesNotContainKeys("Authorization", "X-Api-Key", "Proxy-Authorization", "Cookie");
        } else {
          // scope domain: an IP literal's "domain" is itself, any port: in scope, same scheme, so credentials go
          assertThat(away).containsEntry("Authorization", "Bearer " + TOKEN).containsEntry("Cookie", "sid=s3");
        }
      }
    }
  }

  private static Map<String, String> last(TargetServer target, String path) {
    List<Map<String, String>> all = target.requestHeaders(path);
    assertThat(all).as(path).isNotEmpty();
    return all.get(all.size() - 1);
  }

  @Test
  void aCrawlLogsInThroughSetCookieAndReachesThePagesBehindIt() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.route("/login", req -> req.response().setStatusCode(302).putHeader("Location", "/members")
          .putHeader("Set-Cookie", "session=ok42; Path=/; HttpOnly").end());
      target.route("/members", req -> gated(req, "<a href='/members/page2'>next</a> <a href='/logout'>out</a>"));
      target.route("/members/page2", req -> gated(req, "<p>deep</p>"));
      target.route("/logout", req -> req.response().putHeader("Set-Cookie", "session=; Max-Age=0; Path=/")
          .putHeader("Content-Type", "text/html").end("<a href='/members/after'>after</a>"));
      target.route("/members/after", req -> gated(req, "<p>after</p>"));
      String id = submit(fetchd, new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(target.url("/login")))
          .put("crawl", new JsonObject().put("maxDepth", 3).put("robots", false))
          .put("limits", new JsonObject().put("concurrency", 1))).getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      Map<String, String> states = new java.util.HashMap<>();
      fetchd.items(id).forEach(i -> states.put(URI.create(i.getString("url")).getPath(), i.getString("state")));
      assertThat(states).as(done.encode()).containsEntry("/login", "succeeded")
          .containsEntry("/members/page2", "succeeded");
      assertThat(target.requestHeaders("/members/page2").get(0)).containsEntry("Cookie", "session=ok42");
      // a cookie deleted with Max-Age=0 is not sent again
      assertThat(states).containsEntry("/members/after", "failed");
      assertThat(target.requestHeaders("/members/after").get(0)).doesNotContainKey("Cookie");

      // another job starts with an empty jar: cookies never cross jobs
      String second = submit(fetchd, new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/members/page2")))).getString("id");
      fetchd.awaitTerminal(second, Duration.ofSeconds(30));
      List<Map<String, String>> page2 = target.requestHeaders("/members/page2");
      assertThat(page2.get(page2.size() - 1)).doesNotContainKey("Cookie");
    }
  }

  static final String SESSION = "sess-5b8e1f3a9c7d";

  /** A sign-in page that opens a session with Set-Cookie and links to a page that wants that session. */
  static void signInSite(TargetServer target) {
    target.route("/signin", req -> req.response().putHeader("Set-Cookie", "session=" + SESSION + "; Path=/; HttpOnly")
        .putHeader("Content-Type", "text/html").end("<a href='/inside'>in</a>"));
    target.route("/inside", req -> {
      boolean in = ("session=" + SESSION).equals(req.getHeader("Cookie"));
      req.response().setStatusCode(in ? 200 : 403).putHeader("Content-Type", "text/html").end("<p>in</p>");
    });
  }

  static JsonObject signInCrawl(TargetServer target) {
    return new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(target.url("/signin")))
        .put("crawl", new JsonObject().put("maxDepth", 1).put("robots", false))
        .put("limits", new JsonObject().put("concurrency", 1));
  }

  @Test
  void aSessionCookieASiteSetsIsKeptAsStarsInTheStoredHeads() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      signInSite(target);
      String id = submit(fetchd, signInCrawl(target)).getString("id");
      JsonObject done = fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      assertThat(done.getJsonObject("progress").getLong("succeeded")).as(done.encode()).isEqualTo(2);

      HttpResponse<byte[]> warc = fetchd.getBytes("/jobs/" + id + "/warc");
      assertThat(warc.statusCode()).isEqualTo(200);
      String text = new String(warc.body(), java.nio.charset.StandardCharsets.ISO_8859_1);
      assertThat(text).contains("Set-Cookie: session=***; Path=/; HttpOnly").contains("Cookie: ***")
          .doesNotContain(SESSION);
    }
  }

  /** 200 with {@code html} when the session cookie is there, else 403. */
  private static void gated(HttpServerRequest req, String html) {
    String cookie = req.getHeader("Cookie");
    if (cookie != null && cookie.contains("session=ok42")) {
      req.response().putHeader("Content-Type", "text/html").end(html);
    } else {
      req.response().setStatusCode(403).end("login first\n");
    }
  }

  @Test
  void robotsTxtIsReadForTheJobsOwnUserAgent() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.page("/robots.txt", "text/plain", "User-agent: mybot\nDisallow: /private\n\nUser-agent: *\nAllow: /\n");
      target.html("/", "<a href='/private/x'>p</a> <a href='/public/y'>q</a>");
      target.html("/private/x", "<p>x</p>");
      target.html("/public/y", "<p>y</p>");
      JsonObject crawl = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(target.url("/")))
          .put("crawl", new JsonObject().put("maxDepth", 1));
      String id = submit(fetchd, crawl.copy().put("request", new JsonObject().put("userAgent", "MyBot/1.0 (+https://example.com/bot)")))
          .getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(30));
      Map<String, JsonObject> byPath = new java.util.HashMap<>();
      fetchd.items(id).forEach(i -> byPath.put(URI.create(i.getString("url")).getPath(), i));
      assertThat(byPath.get("/private/x").getString("state")).isEqualTo("skipped");
      assertThat(byPath.get("/private/x").getJsonObject("error").getString("code")).isEqualTo("robots");
      assertThat(byPath.get("/public/y").getString("state")).isEqualTo("succeeded");
      assertThat(target.requests("/private/x")).isZero();
      assertThat(target.requestHeaders("/robots.txt").get(0)).containsEntry("User-Agent", "MyBot/1.0 (+https://example.com/bot)");
      assertThat(target.requestHeaders("/public/y").get(0)).containsEntry("User-Agent", "MyBot/1.0 (+https://example.com/bot)");

      // the service's own agent is not disallowed: the same site, cached per token, crawls /private for it
      String plain = submit(fetchd, crawl).getString("id");
      fetchd.awaitTerminal(plain, Duration.ofSeconds(30));
      assertThat(target.requests("/private/x")).isEqualTo(1);
      assertThat(target.requestHeaders("/private/x").get(0).get("User-Agent")).startsWith("fetchd/");
    }
  }
}
