package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
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
import org.junit.jupiter.api.Test;

class JobEventsTest {
  record Event(long id, String name, JsonObject data) {
  }

  /** Reads a whole event stream until the server ends it. */
  static List<Event> readStream(RunningService fetchd, String path, String lastEventId) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fetchd.baseUrl() + path)).timeout(Duration.ofSeconds(30));
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    HttpResponse<InputStream> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/event-stream");
    List<Event> events = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
      long id = -1;
      String name = null;
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("id: ")) {
          id = Long.parseLong(line.substring(4));
        } else if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          events.add(new Event(id, name, new JsonObject(line.substring(6))));
        }
      }
    }
    return events;
  }

  @Test
  void aJobCanBeFollowedLiveUntilItsTerminalStateThenTheStreamEnds() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      List<String> urls = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        urls.add(target.url("/bytes/ev-" + i + "?size=100&delay=" + (100 + i * 50)));
      }
      String id = fetchd.submitDownload(urls, new JsonObject().put("concurrency", 2)).getString("id");
      List<Event> events = readStream(fetchd, "/jobs/" + id + "/events", null);

      assertThat(events.get(0).name()).isEqualTo("progress");
      assertThat(events.get(1).name()).isEqualTo("state");
      assertThat(events.stream().filter(e -> e.name().equals("item")))
          .extracting(e -> e.data().getString("state")).hasSize(6).containsOnly("succeeded");
      Event last = events.get(events.size() - 1);
      assertThat(last.name()).isEqualTo("state");
      assertThat(last.data().getString("state")).isEqualTo("completed");
      Event lastProgress = events.stream().filter(e -> e.name().equals("progress")).reduce((a, b) -> b).orElseThrow();
      assertThat(lastProgress.data().getLong("succeeded")).isEqualTo(6);
      assertThat(events).extracting(Event::id).isSorted().doesNotHaveDuplicates();

      // a reconnect after the end gets the terminal state again, and the stream ends
      List<Event> again = readStream(fetchd, "/jobs/" + id + "/events", String.valueOf(last.id()));
      assertThat(again.get(again.size() - 1).data().getString("state")).isEqualTo("completed");
      assertThat(again.get(0).id()).isGreaterThan(last.id());
    }
  }

  @Test
  void followingAnUnknownJobIs404() {
    try (RunningService fetchd = RunningService.start()) {
      assertThat(fetchd.get("/jobs/nope/events").status()).isEqualTo(404);
    }
  }
}
