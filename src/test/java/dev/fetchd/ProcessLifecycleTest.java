package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fetchd as its own process, as `java -jar` runs it: start-up, SIGTERM, bad configuration. */
class ProcessLifecycleTest {
  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");

  private static Process launch(Path dataDir, Path log, String... env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.fetchd.Main");
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

  /** The lines the process has written to its log so far. */
  private static List<String> lines(Path log) {
    try {
      return Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String waitFor(Path log, Pattern pattern, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (String l : lines(log)) {
        Matcher m = pattern.matcher(l);
        if (m.find()) {
          return m.groupCount() > 0 ? m.group(1) : l;
        }
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("no line matching " + pattern + " in:\n" + String.join("\n", lines(log)));
  }

  @Test
  void sigtermTurnsReadinessOffLetsJobsFinishWithinGraceThenCancelsTheRest(@TempDir Path data) throws Exception {
    try (TargetServer target = TargetServer.start()) {
      Path logFile = data.resolve("fetchd.log");
      Process p = launch(data.resolve("data"), logFile, "FETCHD_ALLOW_PRIVATE_NETWORKS", "true", "FETCHD_SHUTDOWN_GRACE_MS", "1500",
          "FETCHD_MAX_RUNNING_JOBS", "2");
      Path out = logFile;
      try {
        int port = Integer.parseInt(waitFor(out, PORT, Duration.ofSeconds(30)));
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + port;
        String quick = submit(http, base, target.url("/bytes/quick?delay=300&size=100"));
        String stalled = submit(http, base, target.url("/drip/forever?intervalMs=50"));
        waitFor(out, Pattern.compile("job " + stalled + " queued -> running"), Duration.ofSeconds(10));

        p.destroy(); // SIGTERM
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exits after the grace period").isTrue();
        List<String> log = lines(out);
        assertThat(log).as("exit " + p.exitValue()).anyMatch(l -> l.contains("fetchd stopped"));
        assertThat(log).anyMatch(l -> l.contains("shutting down"));
        assertThat(log).anyMatch(l -> l.contains("job " + quick) && l.contains("running -> completed"));
        assertThat(log).anyMatch(l -> l.contains("job " + stalled) && l.contains("running -> cancelled"));
        assertThat(log).anyMatch(l -> l.contains("fetchd stopped"));
        try (Stream<Path> files = Files.walk(data)) {
          assertThat(files.filter(f -> f.toString().endsWith(".part"))).as("no partial file remains").isEmpty();
        }
      } finally {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void badConfigurationStopsStartUpWithAMessageNamingTheKey(@TempDir Path data) throws Exception {
    Path out = data.resolve("fetchd.log");
    Process p = launch(data.resolve("data"), out, "FETCHD_QUEUE_CAPACITY", "plenty");
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    waitFor(out, Pattern.compile("bad configuration.*FETCHD_QUEUE_CAPACITY"), Duration.ofSeconds(5));
  }

  private static String submit(HttpClient http, String base, String url) throws Exception {
    String body = new JsonObject().put("type", "download").put("urls", new JsonArray().add(url)).encode();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(202);
    return new JsonObject(r.body()).getString("id");
  }
}
