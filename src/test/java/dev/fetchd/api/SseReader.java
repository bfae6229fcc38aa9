package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A fetchd event stream read on a thread of its own: its events arrive in order, then its end. */
final class SseReader implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(30);
  private static final Object END = new Object();

  record Event(long id, String name, JsonObject data) {
    /** The job an event of {@code GET /events} is about. */
    String jobId() {
      return data.getString("jobId");
    }

    /** The succeeded count of a progress event of {@code GET /events}. */
    long succeeded() {
      return data.getJsonObject("progress").getLong("succeeded");
    }
  }

  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final InputStream body;
  private final List<Event> seen = new ArrayList<>();
  private boolean ended;

  /** Opens the stream (200, text/event-stream) with these header names and values. */
  SseReader(RunningService fetchd, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fetchd.baseUrl() + path));
    for (int i = 0; i + 1 < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<InputStream> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream");
    body = r.body();
    Thread reader = new Thread(this::read, "event-stream-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** The whole stream until the server ends it. */
  static List<Event> readAll(RunningService fetchd, String path, String... headers) throws Exception {
    try (SseReader s = new SseReader(fetchd, path, headers)) {
      return s.rest();
    }
  }

  private void read() {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
      long id = -1;
      String name = null;
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("id: ")) {
          id = Long.parseLong(line.substring(4));
        } else if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          queue.add(new Event(id, name, new JsonObject(line.substring(6))));
        }
      }
    } catch (IOException closed) {
      // the test closed the stream
    } finally {
      queue.add(END);
    }
  }

  /** The next event, or null once the server ended the stream; fails after {@link #WAIT} without either. */
  Event next() throws InterruptedException {
    if (ended) {
      return null;
    }
    Object o = queue.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    assertThat(o).as("an event or the end within %s; saw %s", WAIT, seen).isNotNull();
    if (o == END) {
      ended = true;
      return null;
    }
    seen.add((Event) o);
    return (Event) o;
  }

  /** The next {@code n} events. */
  List<Event> take(int n) throws InterruptedException {
    List<Event> out = new ArrayList<>();
    while (out.size() < n) {
      Event e = next();
      assertThat(e).as("event %d of %d; saw %s", out.size() + 1, n, seen).isNotNull();
      out.add(e);
    }
    return out;
  }

  /** Reads up to the first event that matches. */
  Event until(String what, Predicate<Event> wanted) throws InterruptedException {
    for (Event e = next(); e != null; e = next()) {
      if (wanted.test(e)) {
        return e;
      }
    }
    throw new AssertionError("the stream ended before " + what + "; saw " + seen);
  }

  /** Reads to the end of the stream. */
  List<Event> rest() throws InterruptedException {
    List<Event> out = new ArrayList<>();
    for (Event e = next(); e != null; e = next()) {
      out.add(e);
    }
    return out;
  }

  /** Every event read so far. */
  List<Event> seen() {
    return seen;
  }

  @Override
  public void close() throws IOException {
    body.close();
  }
}
