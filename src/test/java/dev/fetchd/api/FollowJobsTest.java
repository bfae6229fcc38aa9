package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.fetchd.api.SseReader.Event;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** {@code GET /events?jobs=...}: one event stream for many jobs, against a real fetchd and a real target. */
class FollowJobsTest {
  static final Duration WAIT = SseReader.WAIT;
  static final String FOLLOWED = "fetchd_jobs_followed";

  /** A target whose /held requests wait until the test answers them. */
  static final class Held {
    final List<HttpServerRequest> requests = new CopyOnWriteArrayList<>();

    Held(TargetServer target) {
      target.route("/held", requests::add);
    }

    /** A running job of two held items, fetched one at a time. */
    String job(RunningService fetchd, TargetServer target, String name) {
      String id = fetchd.submitDownload(List.of(target.url("/held?job=" + name + "&n=0"), target.url("/held?job=" + name + "&n=1")),
          new JsonObject().put("concurrency", 1).put("retries", 0).put("requestTimeoutMs", 600_000)).getString("id");
      RunningService.await("job " + name + " running", WAIT, () -> fetchd.get("/jobs/" + id).json().getString("state").equals("running"));
      return id;
    }

    /** Answers the held request of this query once it has arrived: its item succeeds. */
    void answer(String query) {
      RunningService.await("a held request ?" + query, WAIT, () -> requests.stream().anyMatch(r -> query.equals(r.query())));
      HttpServerRequest r = requests.stream().filter(q -> query.equals(q.query())).findFirst().orElseThrow();
      requests.remove(r);
      r.response().end("held body");
    }
  }

  @Test
  void oneStreamFollowsRunningFinishedAndUnknownJobsUntilEachIsDone() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      Held held = new Held(target);
      String done = fetchd.submitDownload(List.of(target.url("/bytes/done?size=10")), null).getString("id");
      fetchd.awaitTerminal(done, WAIT);
      String a = held.job(fetchd, target, "a");
      String b = held.job(fetchd, target, "b");

      try (SseReader s = new SseReader(fetchd, "/events?jobs=" + a + "," + done + ",no-such-job," + b)) {
        // on connect, in the order asked: where each job is now
        List<Event> first = s.take(7);
        assertThat(first).extracting(Event::name, Event::jobId).containsExactly(
            tuple("progress", a), tuple("state", a), tuple("progress", done), tuple("state", done),
            tuple("missing", "no-such-job"), tuple("progress", b), tuple("state", b));
        assertThat(first.get(1).data()).isEqualTo(new JsonObject().put("jobId", a).put("state", "running"));
        assertThat(first.get(3).data()).isEqualTo(new JsonObject().put("jobId", done).put("state", "completed"));
        assertThat(first.get(2).data().getJsonObject("progress").getLong("succeeded")).isEqualTo(1);
        assertThat(first.get(4).data()).isEqualTo(new JsonObject().put("jobId", "no-such-job"));
        RunningService.await("both running jobs followed", WAIT, () -> fetchd.metric(FOLLOWED) == 2);

        // then live: each running job's progress, on the one connection
        held.answer("job=a&n=0");
        s.until("a's progress", e -> e.name().equals("progress") && a.equals(e.jobId()) && e.succeeded() == 1);
        held.answer("job=b&n=0");
        s.until("b's progress", e -> e.name().equals("progress") && b.equals(e.jobId()) && e.succeeded() == 1);
        held.answer("job=a&n=1");
        s.until("a's end", e -> e.name().equals("state") && a.equals(e.jobId()) && e.data().getString("state").equals("completed"));
        held.answer("job=b&n=1");
        List<Event> last = s.rest();
        assertThat(last).as("the stream ends after the last job's terminal state").isNotEmpty();
        assertThat(last.get(last.size() - 1).data()).isEqualTo(new JsonObject().put("jobId", b).put("state", "completed"));

        assertThat(s.seen()).extracting(Event::name).containsOnly("progress", "state", "missing");
        assertThat(s.seen()).extracting(Event::id).isSorted().doesNotHaveDuplicates();
        assertThat(s.seen().stream().filter(e -> e.name().equals("progress") && b.equals(e.jobId())).reduce((x, y) -> y)
            .orElseThrow().succeeded()).isEqualTo(2);
      }
      RunningService.await("nothing followed any more", WAIT, () -> fetchd.metric(FOLLOWED) == 0);
      assertThat(fetchd.metric("fetchd_api_requests_total", "operation", "followJobs", "code", "200")).isEqualTo(1);
    }
  }

  @Test
  void aListOfFinishedJobsAnswersTheirStatesAndEnds() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      String done = fetchd.submitDownload(List.of(target.url("/status/500")), new JsonObject().put("retries", 0)).getString("id");
      fetchd.awaitTerminal(done, WAIT);
      try (SseReader s = new SseReader(fetchd, "/events?jobs=" + done + ",gone")) {
        assertThat(s.rest()).extracting(Event::name, Event::jobId)
            .containsExactly(tuple("progress", done), tuple("state", done), tuple("missing", "gone"));
      }
    }
  }

  @Test
  void closingTheStreamStopsFollowingItsJobs() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      Held held = new Held(target);
      String a = held.job(fetchd, target, "a");
      String b = held.job(fetchd, target, "b");
      SseReader s = new SseReader(fetchd, "/events?jobs=" + a + "," + b);
      s.take(4);
      RunningService.await("both jobs followed", WAIT, () -> fetchd.metric(FOLLOWED) == 2);
      s.close();
      RunningService.await("the closed stream's jobs unfollowed", WAIT, () -> fetchd.metric(FOLLOWED) == 0,
          () -> String.valueOf(fetchd.metric(FOLLOWED)));
      assertThat(fetchd.get("/jobs/" + a).json().getString("state")).as("the jobs themselves go on").isEqualTo("running");
      fetchd.delete("/jobs/" + a);
      fetchd.delete("/jobs/" + b);
    }
  }

  @Test
  void tooManyEmptyRepeatedOrMalformedIdsAre400NamingJobs() throws Exception {
    try (RunningService fetchd = RunningService.start()) {
      String hundredOne = IntStream.range(0, 101).mapToObj(i -> "job-" + i).collect(Collectors.joining(","));
      Map<String, String> refused = Map.of(
          "/events?jobs=" + hundredOne, "has too many items",
          "/events?jobs=", "has too few items",
          "/events?jobs=a,,b", "String is too short (0 < 1)",
          "/events?jobs=a,b,a", "has an item twice",
          "/events?jobs=" + "x".repeat(65), "String is too long (65 > 64)");
      for (Map.Entry<String, String> bad : refused.entrySet()) {
        RunningService.Response r = fetchd.get(bad.getKey());
        assertThat(r.status()).as(bad.getKey()).isEqualTo(400);
        assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(r.json().getJsonArray("errors")).as(bad.getKey())
            .containsExactly(new JsonObject().put("field", "jobs").put("message", bad.getValue()));
      }
      RunningService.Response none = fetchd.get("/events");
      assertThat(none.status()).isEqualTo(400);
      assertThat(none.json().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("jobs");
      assertThat(fetchd.metric("fetchd_api_requests_total", "operation", "followJobs", "code", "400")).isEqualTo(6);

      // a hundred is the most
      String hundred = IntStream.range(0, 100).mapToObj(i -> "job-" + i).collect(Collectors.joining(","));
      try (SseReader s = new SseReader(fetchd, "/events?jobs=" + hundred)) {
        assertThat(s.rest()).extracting(Event::name).hasSize(100).containsOnly("missing");
      }
    }
  }

  @Test
  void anotherTokensJobIsMissingAndNoTokenIs401() throws Exception {
    String alice = "alice-token-0123456789";
    String bob = "bob-token-0123456789ab";
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("apiTokens", alice + "," + bob))) {
      String body = new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/mine?size=10"))).encode();
      String id = fetchd.post("/jobs", body, "Authorization", "Bearer " + alice).json().getString("id");
      assertThat(fetchd.get("/jobs/" + id + "?wait=10", "Authorization", "Bearer " + alice).json().getString("state"))
          .isEqualTo("completed");

      try (SseReader s = new SseReader(fetchd, "/events?jobs=" + id, "Authorization", "Bearer " + bob)) {
        assertThat(s.rest()).extracting(Event::name, Event::jobId).containsExactly(tuple("missing", id));
      }
      try (SseReader s = new SseReader(fetchd, "/events?jobs=" + id, "Authorization", "Bearer " + alice)) {
        assertThat(s.rest()).extracting(Event::name, Event::jobId).containsExactly(tuple("progress", id), tuple("state", id));
      }
      RunningService.Response anonymous = fetchd.get("/events?jobs=" + id);
      assertThat(anonymous.status()).isEqualTo(401);
      assertThat(anonymous.header("Content-Type")).isEqualTo("application/problem+json");
    }
  }
}
