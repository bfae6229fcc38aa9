package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Page parsing is bounded in memory (issue 11, point 1): big pages are parsed within a budget, or stored and
 * marked not parsed, never silently dropped and never taking the process down.
 */
class ParseBudgetTest {
  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");
  private static final int PAGES = 16;

  /** ~9.4 MB of dense links and images; its first link is to {@code /leaf.html}. */
  private static byte[] densePage() {
    StringBuilder sb = new StringBuilder(9_500_000)
        .append("<!DOCTYPE html><html><head><title>dense</title></head><body><a href=\"/leaf.html\">leaf</a>\n");
    for (int i = 0; sb.length() < 9_400_000; i++) {
      sb.append("<a href=\"/p/").append(i).append("\">p").append(i).append("</a><img src=\"/i/").append(i)
          .append(".png\">\n");
    }
    return sb.append("</body></html>").toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void sixteenDensePagesOfNineMegabytesUnder512MbLeaveTheProcessAliveAndEveryPageParsedOrMarked(@TempDir Path dir)
      throws Exception {
    byte[] page = densePage();
    try (TargetServer target = TargetServer.start()) {
      JsonArray urls = new JsonArray();
      for (int i = 0; i < PAGES; i++) {
        target.page("/big/" + i + ".html", 200, "text/html; charset=utf-8", page);
        urls.add(target.url("/big/" + i + ".html"));
      }
      target.html("/leaf.html", "<p>leaf</p>");
      Path log = dir.resolve("fetchd.log");
      // the Docker image's heap flags; pages up to 16 MiB are parsed, so the budget, not the cap, is what holds
      Process p = launch(dir.resolve("data"), log, "FETCHD_ALLOW_PRIVATE_NETWORKS", "true",
          "FETCHD_CRAWL_MAX_PARSE_BYTES", String.valueOf(16 << 20));
      try {
        String base = "http://127.0.0.1:" + waitForPort(p, log);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        JsonObject body = new JsonObject().put("type", "crawl").put("urls", urls)
            .put("limits", new JsonObject().put("concurrency", PAGES).put("perHostConcurrency", PAGES)
                .put("retries", 0))
            .put("crawl", new JsonObject().put("maxDepth", 1).put("maxPages", PAGES + 1).put("robots", false));
        HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(URI.create(base + "/jobs"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.encode()))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String id = new JsonObject(submitted.body()).getString("id");

        // while it runs: the process lives and /health/live answers, until the job is terminal
        JsonObject job = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        long slowestLiveMs = 0;
        while (System.nanoTime() < deadline) {
          assertThat(p.isAlive()).as("fetchd died; its log:\n" + tail(log)).isTrue();
          long t0 = System.nanoTime();
          try {
            HttpResponse<String> live = get(http, base + "/health/live");
            slowestLiveMs = Math.max(slowestLiveMs, (System.nanoTime() - t0) / 1_000_000);
            assertThat(live.statusCode()).isEqualTo(200);
            job = new JsonObject(get(http, base + "/jobs/" + id + "?wait=1").body());
          } catch (IOException e) {
            p.waitFor(5, TimeUnit.SECONDS);
            throw new AssertionError("fetchd stopped answering (" + e + "), alive: " + p.isAlive() + "; its log:\n"
                + tail(log), e);
          }
          if (!job.getString("state").equals("running") && !job.getString("state").equals("queued")) {
            break;
          }
        }
        assertThat(p.isAlive()).as("fetchd died; its log:\n" + tail(log)).isTrue();
        assertThat(job.getString("state")).as(job.encodePrettily()).isEqualTo("completed");
        assertThat(get(http, base + "/health/live").statusCode()).isEqualTo(200);
        assertThat(slowestLiveMs).as("/health/live answered within 5 s all along").isLessThan(5_000);

        JsonObject progress = job.getJsonObject("progress");
        assertThat(progress.getJsonObject("pages").getLong("succeeded")).isEqualTo(PAGES + 1);
        JsonArray items = new JsonObject(get(http, base + "/jobs/" + id + "/items?limit=100").body())
            .getJsonArray("items");
        long marked = 0;
        for (int i = 0; i < items.size(); i++) {
          JsonObject item = items.getJsonObject(i);
          assertThat(item.getString("state")).as(item.encode()).isEqualTo("succeeded");
          JsonObject error = item.getJsonObject("error");
          if (error != null) {
            assertThat(error.getString("code")).as(item.encode()).isEqualTo("not_parsed");
            marked++;
          }
        }
        assertThat(progress.getLong("notParsed")).as("progress counts the pages marked").isEqualTo(marked);
        // within the budget every page fits: all parsed, and the leaf they all link to was found and fetched
        assertThat(marked).isZero();
        assertThat(target.requests("/leaf.html")).isEqualTo(1);

        String metrics = get(http, base + "/metrics").body();
        assertThat(gauge(metrics, "fetchd_parse_memory_bytes_limit")).as("a quarter of a 512 MB heap")
            .isBetween(100e6, 135e6);
        assertThat(gauge(metrics, "fetchd_parse_memory_bytes_in_use")).isZero();
        assertThat(gauge(metrics, "fetchd_parse_waiters")).isZero();
      } finally {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aPageOverTheParseCapIsStoredSucceededAndMarkedNotParsedInItsItemAndProgress() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("crawl.maxParseBytes", 1024L))) {
      target.html("/cap/big.html", "<a href='/cap/linked.html'>l</a>" + "<p>filler</p>".repeat(200));
      target.html("/cap/small.html", "<a href='/cap/linked.html'>l</a>");
      target.html("/cap/linked.html", "leaf");
      JsonObject body = new JsonObject().put("type", "crawl")
          .put("urls", new JsonArray().add(target.url("/cap/big.html")))
          .put("crawl", new JsonObject().put("maxDepth", 1).put("robots", false));
      RunningService.Response r = fetchd.post("/jobs", body.encode());
      assertThat(r.status()).as(r.body()).isEqualTo(202);
      String id = r.json().getString("id");
      JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(30));

      assertThat(job.getString("state")).isEqualTo("completed");
      assertThat(job.getJsonObject("progress").getLong("notParsed")).isEqualTo(1);
      assertThat(job.getJsonObject("progress").getLong("succeeded")).isEqualTo(1);
      List<JsonObject> items = fetchd.items(id);
      assertThat(items).hasSize(1);
      JsonObject item = items.get(0);
      assertThat(item.getString("state")).isEqualTo("succeeded");
      assertThat(item.getJsonObject("error").getString("code")).isEqualTo("not_parsed");
      assertThat(item.getJsonObject("error").getString("message")).startsWith("too_large");
      assertThat(fetchd.getBytes(item.getString("content")).statusCode()).as("stored all the same").isEqualTo(200);
      assertThat(target.requests("/cap/linked.html")).isZero();
      assertThat(fetchd.metric("fetchd_parse_not_parsed_total", "reason", "too_large")).isEqualTo(1.0);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static Process launch(Path dataDir, Path log, String... env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"), "dev.fetchd.Main");
    pb.environment().keySet().removeIf(k -> k.startsWith("FETCHD_"));
    pb.environment().put("FETCHD_HTTP_PORT", "0");
    pb.environment().put("FETCHD_DATA_DIR", dataDir.toString());
    for (int i = 0; i + 1 < env.length; i += 2) {
      pb.environment().put(env[i], env[i + 1]);
    }
    pb.redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    return pb.start();
  }

  private static int waitForPort(Process p, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && p.isAlive()) {
      for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        Matcher m = PORT.matcher(l);
        if (m.find()) {
          return Integer.parseInt(m.group(1));
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("fetchd did not start:\n" + tail(log));
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The value of an unlabelled gauge in a Prometheus scrape. */
  private static double gauge(String scrape, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(scrape);
    assertThat(m.find()).as(name + " in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
