package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.layout.template.json.JsonTemplateLayout;
import org.apache.logging.log4j.message.SimpleMessage;
import org.apache.logging.log4j.util.SortedArrayStringMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FETCHD_LOG_FORMAT=json: every stdout line is a JSON object, and a job's lines carry its id as jobId. Without it
 * the lines are text on stderr; any other value is refused at start.
 */
class JsonLogsTest {

  @Test
  void jsonFormatWritesOneObjectPerLineWithTheJobIdOnTheJobsTransitions(@TempDir Path dir) throws Exception {
    Path stdout = dir.resolve("stdout.log");
    Path stderr = dir.resolve("stderr.log");
    Process p = start(dir, "json");
    try (TargetServer target = TargetServer.start()) {
      int port = Integer.parseInt(message(waitFor(stdout, o -> message(o).contains("listening on port"), p))
          .replaceAll(".*listening on port (\\d+).*", "$1"));
      String id = submit(port, target.url("/bytes/a?size=100"));
      waitFor(stdout, o -> id.equals(o.getString("jobId")) && message(o).contains("running -> completed"), p);

      p.destroy(); // SIGTERM: the drain's lines are written before logging stops
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      List<JsonObject> events = parse(stdout);
      assertThat(events).allSatisfy(e -> assertThat(e.fieldNames()).contains("time", "level", "logger", "thread",
          "message"));
      List<String> ofJob = events.stream().filter(e -> id.equals(e.getString("jobId"))).map(JsonLogsTest::message)
          .toList();
      assertThat(ofJob).anyMatch(m -> m.startsWith("job " + id + " queued"))
          .anyMatch(m -> m.contains("queued -> running"))
          .anyMatch(m -> m.contains("running -> completed"));
      // the id is scoped to the log call: lines logged later on the same event loop do not inherit it
      assertThat(events).filteredOn(e -> message(e).contains("fetchd stopped") || message(e).contains("shutting down"))
          .isNotEmpty().allSatisfy(e -> assertThat(e.containsKey("jobId")).isFalse());
      assertThat(Files.readString(stderr)).as("nothing logged on stderr").doesNotContain(" INFO ");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void jsonLinesCarryAnExceptionAsClassAndStackTraceStrings() {
    JsonTemplateLayout layout = JsonTemplateLayout.newBuilder().setConfiguration(new DefaultConfiguration())
        .setEventTemplateUri("classpath:fetchd-log-template.json").build();
    SortedArrayStringMap context = new SortedArrayStringMap();
    context.putValue("jobId", "j-1");
    String line = layout.toSerializable(Log4jLogEvent.newBuilder().setLoggerName("dev.fetchd.X").setLevel(Level.ERROR)
        .setMessage(new SimpleMessage("job j-1: broken")).setContextData(context)
        .setThrown(new IllegalStateException("boom")).build());
    JsonObject o = new JsonObject(line);
    assertThat(o.getString("time")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    assertThat(o.getString("jobId")).isEqualTo("j-1");
    assertThat(o.getString("exception")).isEqualTo(IllegalStateException.class.getName());
    assertThat(o.getString("exceptionMessage")).isEqualTo("boom");
    assertThat(o.getValue("stackTrace")).isInstanceOf(String.class);
    assertThat(o.getString("stackTrace")).contains("boom").contains("JsonLogsTest");
  }

  @Test
  void withoutALogFormatTheLinesAreTextOnStderr(@TempDir Path dir) throws Exception {
    Process p = start(dir, null);
    try {
      String listening = waitForLine(dir.resolve("stderr.log"), l -> l.contains("listening on port"), p);
      // the text layout: time, level, logger, a dash, the message
      assertThat(listening).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}[+-]\\d{4} INFO "
          + "dev\\.fetchd\\.FetchdVerticle - fetchd listening on port \\d+ .*");
      p.destroy();
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
      List<String> lines = Files.readAllLines(dir.resolve("stderr.log"), StandardCharsets.UTF_8);
      assertThat(lines).anyMatch(l -> l.contains("fetchd stopped") || l.contains("shutting down"))
          .noneMatch(l -> l.trim().startsWith("{"))
          .allSatisfy(l -> assertThat(isJsonObject(l)).as("a JSON line: %s", l).isFalse());
      assertThat(Files.readString(dir.resolve("stdout.log"))).as("nothing logged on stdout").isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void anUnknownLogFormatIsRefusedAtStartNamingTheSetting(@TempDir Path dir) throws Exception {
    Process p = start(dir, "xml");
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("fetchd exits instead of starting").isTrue();
      assertThat(p.exitValue()).as("a configuration error's exit code").isEqualTo(2);
      String stderr = Files.readString(dir.resolve("stderr.log"));
      assertThat(stderr).contains("bad configuration").contains("FETCHD_LOG_FORMAT").contains("'xml'")
          .contains("text or json").doesNotContain("listening on port");
      assertThat(Files.readString(dir.resolve("stdout.log"))).isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------------

  /** fetchd as a process of its own on a free port, stdout and stderr to files in {@code dir}; no format: unset. */
  private static Process start(Path dir, String logFormat) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.fetchd.Main");
    pb.environment().keySet().removeIf(k -> k.startsWith("FETCHD_"));
    pb.environment().put("FETCHD_HTTP_PORT", "0");
    pb.environment().put("FETCHD_DATA_DIR", dir.resolve("data").toString());
    pb.environment().put("FETCHD_ALLOW_PRIVATE_NETWORKS", "true");
    if (logFormat != null) {
      pb.environment().put("FETCHD_LOG_FORMAT", logFormat);
    }
    pb.redirectOutput(dir.resolve("stdout.log").toFile()).redirectError(dir.resolve("stderr.log").toFile());
    return pb.start();
  }

  private static boolean isJsonObject(String line) {
    try {
      new JsonObject(line);
      return true;
    } catch (DecodeException | ClassCastException e) {
      return false;
    }
  }

  /** The first complete line of a file that matches, polled until 30 s have passed or the process ended. */
  private static String waitForLine(Path file, java.util.function.Predicate<String> what, Process p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      int end = text.lastIndexOf('\n'); // the last line may be half written
      for (String line : end < 0 ? List.<String>of() : List.of(text.substring(0, end).split("\n"))) {
        if (what.test(line)) {
          return line;
        }
      }
      if (!p.isAlive()) {
        break;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("no such line in:\n" + (Files.exists(file) ? Files.readString(file) : "(no file)"));
  }

  private static String message(JsonObject o) {
    return o.getString("message", "");
  }

  /** Every line of stdout so far, each of which must parse as a JSON object. */
  private static List<JsonObject> parse(Path stdout) throws Exception {
    List<JsonObject> events = new ArrayList<>();
    for (String line : Files.readAllLines(stdout, StandardCharsets.UTF_8)) {
      try {
        events.add(new JsonObject(line));
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON object: " + line, e);
      }
    }
    return events;
  }

  /** The first JSON line of stdout that matches (every complete line must be a JSON object). */
  private static JsonObject waitFor(Path stdout, java.util.function.Predicate<JsonObject> what, Process p)
      throws Exception {
    return new JsonObject(waitForLine(stdout, line -> what.test(new JsonObject(line)), p));
  }

  private static String submit(int port, String url) throws Exception {
    String body = new JsonObject().put("type", "download").put("urls", new JsonArray().add(url)).encode();
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jobs"))
            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(202);
    return new JsonObject(r.body()).getString("id");
  }
}
