package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * /metrics has a bounded size whatever the service fetches (issue 11): no series per origin, histograms
 * with a dozen buckets, and a scrape Prometheus's own checker accepts.
 */
class MetricsBoundsTest {

  /**
   * One HTTP exchange through Vert.x's client in a Vert.x of its own: the first fetch of a JVM loads a few
   * hundred classes (name resolver, datagram channel, codecs), a one-off that is not what these tests
   * check on fetchd's event loop.
   */
  @BeforeAll
  static void loadHttpClientClasses() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response().end("ok"))
          .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      // held in a variable: Vert.x 5 closes a client that is no longer referenced (a GC can end it mid-request)
      io.vertx.core.http.HttpClient client = vertx.createHttpClient();
      client.request(io.vertx.core.http.HttpMethod.GET, server.actualPort(), "127.0.0.1", "/")
          .compose(req -> req.send().compose(io.vertx.core.http.HttpClientResponse::body))
          .await(10, TimeUnit.SECONDS);
      client.close().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void metricsSizeDoesNotGrowWithOrigins() throws Exception {
    Vertx vertx = Vertx.vertx();
    List<HttpServer> servers = new ArrayList<>();
    try (RunningService fetchd = RunningService.start()) {
      // 2,000 origins: one tiny server on 2,000 loopback ports
      for (int i = 0; i < 2_000; i++) {
        servers.add(vertx.createHttpServer()
            // each connection closed after its answer: no pool of 2,000 idle connections to tear down at the end
            .requestHandler(req -> req.response().putHeader("Content-Type", "text/plain")
                .putHeader("Connection", "close").end("ok"))
            .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS));
      }
      // a first job to two origins, so that every family a fetch creates is already there
      run(fetchd, servers.subList(0, 2));
      String first = fetchd.get("/metrics").body();
      int before = lines(first);

      run(fetchd, servers);
      String after = fetchd.get("/metrics").body();
      int grown = lines(after) - before;
      assertThat(Math.abs(grown)).as("lines of /metrics: %d before, %d after 2,000 origins; new series: %s",
          before, lines(after), newSeries(first, after)).isLessThan(before / 100);
      for (HttpServer s : List.of(servers.get(0), servers.get(1), servers.get(1_999))) {
        assertThat(after).as("no label names an origin").doesNotContain(":" + s.actualPort());
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void fetchDurationHasADozenBuckets() {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      String id = fetchd.submitDownload(List.of(target.url("/bytes/b1?size=10")), null).getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(10));
      String text = fetchd.get("/metrics").body();
      Matcher m = Pattern.compile("(?m)^fetchd_fetch_duration_seconds_bucket\\{[^}]*outcome=\"success\"[^}]*}").matcher(text);
      int buckets = 0;
      while (m.find()) {
        buckets++;
      }
      assertThat(buckets).as("buckets of one outcome, +Inf included").isBetween(10, 14);
    }
  }

  @Test
  void promtoolAcceptsScrapeAfterCrawl() throws Exception {
    String promtool = onPath("promtool");
    assumeTrue(promtool != null, "promtool is not on the PATH (Debian package prometheus): scrape not checked");
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      target.html("/p/index", "<html><body><a href=\"/p/a\">a</a><a href=\"/p/b\">b</a>"
          + "<img src=\"/bytes/img?size=100&type=image/png\"></body></html>");
      target.html("/p/a", "<html><body><a href=\"/p/b\">b</a><a href=\"/p/missing\">gone</a></body></html>");
      target.html("/p/b", "<html><body><a href=\"/p/index\">home</a></body></html>");
      String id = fetchd.post("/jobs", new JsonObject().put("type", "crawl")
          .put("urls", new JsonArray().add(target.url("/p/index")))
          .put("crawl", new JsonObject().put("maxDepth", 2).put("assets", true).put("robots", false)).encode())
          .json().getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(20));
      // an invalid submission and a refusal too, so that every counter has moved
      fetchd.post("/jobs", "{}");
      Path scrape = Files.createTempFile("fetchd-scrape", ".txt");
      try {
        Files.writeString(scrape, fetchd.get("/metrics").body());
        Process p = new ProcessBuilder(promtool, "check", "metrics").redirectInput(scrape.toFile())
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool check metrics:\n%s", out).isZero();
      } finally {
        Files.deleteIfExists(scrape);
      }
    }
  }

  private static void run(RunningService fetchd, List<HttpServer> origins) {
    List<String> urls = new ArrayList<>();
    for (HttpServer s : origins) {
      urls.add("http://127.0.0.1:" + s.actualPort() + "/x");
    }
    String id = fetchd.submitDownload(urls, new JsonObject().put("concurrency", 4).put("retries", 0)).getString("id");
    JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(120));
    assertThat(job.getJsonObject("progress").getInteger("succeeded")).isEqualTo(origins.size());
  }

  /** Series (name and labels) in {@code after} and not in {@code before}. */
  private static List<String> newSeries(String before, String after) {
    java.util.Set<String> known = new java.util.HashSet<>();
    before.lines().forEach(l -> known.add(l.replaceAll(" [^ ]+$", "")));
    return after.lines().map(l -> l.replaceAll(" [^ ]+$", "")).filter(k -> !known.contains(k)).toList();
  }

  /**
   * Lines of a scrape, without the JVM's own families: those gain a series for each kind of garbage
   * collection the JVM meets (cause, action), whatever was fetched, and would make a small scrape jitter.
   */
  private static int lines(String text) {
    return (int) text.lines().filter(l -> !l.startsWith("jvm_") && !l.matches("# (HELP|TYPE) jvm_.*")).count();
  }

  private static String onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, name);
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return null;
  }
}
