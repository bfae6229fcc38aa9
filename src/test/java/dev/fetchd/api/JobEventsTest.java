package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.api.SseReader.Event;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobEventsTest {
  /** Reads a whole event stream until the server ends it. */
  static List<Event> readStream(RunningService fetchd, String path, String lastEventId) throws Exception {
    return lastEventId == null ? SseReader.readAll(fetchd, path) : SseReader.readAll(fetchd, path, "Last-Event-ID", lastEventId);
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
