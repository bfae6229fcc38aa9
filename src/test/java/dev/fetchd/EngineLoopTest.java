package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.engine.JobEngine;
import dev.fetchd.engine.JobListener;
import dev.fetchd.job.ItemKind;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Future;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The API runs on an event loop of its own; job state stays on the engine's. What crosses between them: a call
 * runs on the engine's loop, its answer comes back on the caller's, and what comes back is a copy.
 */
class EngineLoopTest {
  private static TargetServer target;
  private static RunningService fetchd;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    fetchd = RunningService.start(Map.of());
  }

  @AfterAll
  static void stop() {
    fetchd.close();
    target.close();
  }

  private static JobEngine engine() {
    return fetchd.verticle().engine();
  }

  private static String slowJob() {
    return fetchd.submitDownload(List.of(target.url("/stall"), target.url("/stall")), null).getString("id");
  }

  @Test
  void aCallFromAnotherLoopRunsOnTheEnginesAndAnswersOnTheCallers() throws Exception {
    ContextInternal caller = otherLoop();
    CompletableFuture<Thread[]> seen = new CompletableFuture<>();
    caller.runOnContext(v -> {
      Thread callerThread = Thread.currentThread();
      engine().onLoop(() -> Future.succeededFuture(Thread.currentThread()), t -> t)
          .onComplete(ar -> seen.complete(new Thread[] {callerThread, ar.result(), Thread.currentThread()}));
    });
    Thread[] t = seen.get(10, TimeUnit.SECONDS);
    Thread engineThread = engine().onLoop(() -> Future.succeededFuture(Thread.currentThread()), x -> x)
        .await(10, TimeUnit.SECONDS);
    assertThat(t[1]).as("the call ran on the engine's loop").isSameAs(engineThread).isNotSameAs(t[0]);
    assertThat(t[2]).as("its answer came back on the caller's loop").isSameAs(t[0]);
  }

  @Test
  void whatAnotherLoopGetsIsACopyOfTheLiveJob() throws Exception {
    String id = slowJob();
    try {
      fetchd.get("/jobs/" + id + "?wait=0");
      RunningService.await("running", Duration.ofSeconds(10),
          () -> fetchd.get("/jobs/" + id).json().getString("state").equals("running"));
      Job copy = engine().get(id).await(10, TimeUnit.SECONDS);
      copy.progress().added(ItemKind.PAGE, ItemState.QUEUED);
      assertThat(fetchd.get("/jobs/" + id).json().getJsonObject("progress").getLong("total"))
          .as("changing what was handed out changes nothing in the engine").isEqualTo(2);
    } finally {
      fetchd.delete("/jobs/" + id);
    }
  }

  @Test
  void aRunningJobIsReadWithoutWaitingForATurnOnTheEnginesLoop() throws Exception {
    String id = slowJob();
    try {
      RunningService.await("both fetches running", Duration.ofSeconds(10),
          () -> fetchd.get("/jobs/" + id).json().getJsonObject("progress").getLong("running") == 2);
      try (BusyLoop busy = BusyLoop.hold()) {
        RunningService.Response answer = fetchd.get("/jobs/" + id);
        RunningService.Response again = fetchd.get("/jobs/" + id); // the same copy: its JSON is encoded once
        assertThat(busy.release()).as("answered while the engine's loop was busy").isTrue();
        assertThat(answer.status()).isEqualTo(200);
        assertThat(answer.json().getString("state")).isEqualTo("running");
        assertThat(answer.json().getJsonObject("progress").getLong("running")).isEqualTo(2);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(answer.body());
      }
    } finally {
      fetchd.delete("/jobs/" + id);
    }
  }

  @Test
  void aFinishedJobReadOnceIsReadAgainWithoutWaitingForATurnOnTheEnginesLoop() throws Exception {
    String id = fetchd.submitDownload(List.of(target.url("/bytes/finished?size=10")), null).getString("id");
    assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(10)).getString("state")).isEqualTo("completed");
    RunningService.Response first = fetchd.get("/jobs/" + id);
    try (BusyLoop busy = BusyLoop.hold()) {
      RunningService.Response again = fetchd.get("/jobs/" + id);
      RunningService.Response waited = fetchd.get("/jobs/" + id + "?wait=30");
      assertThat(busy.release()).as("answered while the engine's loop was busy").isTrue();
      assertThat(again.body()).isEqualTo(first.body());
      assertThat(waited.body()).as("a finished job's long poll answers at once").isEqualTo(first.body());
    }
  }

  /** The engine's loop held busy (as by a big job) until released, or for 3 s at most. */
  private record BusyLoop(CompletableFuture<Void> go, CompletableFuture<Void> freed) implements AutoCloseable {
    static BusyLoop hold() throws Exception {
      CompletableFuture<Void> held = new CompletableFuture<>();
      BusyLoop busy = new BusyLoop(new CompletableFuture<>(), new CompletableFuture<>());
      engine().onLoop(() -> {
        held.complete(null);
        try {
          busy.go.get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
          // released by the bound
        }
        busy.freed.complete(null);
        return Future.succeededFuture(null);
      }, x -> x);
      held.get(10, TimeUnit.SECONDS);
      return busy;
    }

    /** Lets the loop go; true if it was still held until now (not freed by the 3 s bound). */
    boolean release() {
      boolean stillHeld = !freed.isDone();
      go.complete(null);
      return stillHeld;
    }

    @Override
    public void close() {
      go.complete(null);
    }
  }

  @Test
  void aFollowerOnAnotherLoopHearsOnItsOwnLoop() throws Exception {
    String id = slowJob();
    ContextInternal caller = otherLoop();
    CompletableFuture<Thread> callerThread = new CompletableFuture<>();
    CompletableFuture<Thread> heardOn = new CompletableFuture<>();
    CompletableFuture<Job> heard = new CompletableFuture<>();
    CompletableFuture<Void> following = new CompletableFuture<>();
    caller.runOnContext(v -> {
      callerThread.complete(Thread.currentThread());
      engine().get(id).onSuccess(job -> {
        engine().follow(job, new JobListener() {
          @Override
          public void stateChanged(Job j) {
            heardOn.complete(Thread.currentThread());
            heard.complete(j);
          }
        });
        following.complete(null);
      });
    });
    Thread expected = callerThread.get(10, TimeUnit.SECONDS);
    following.get(10, TimeUnit.SECONDS); // cancelled before the follow, the job would have nothing left to tell
    fetchd.delete("/jobs/" + id);
    assertThat(heardOn.get(10, TimeUnit.SECONDS)).isSameAs(expected);
    assertThat(heard.get().state().wire()).isEqualTo("cancelled");
    assertThat(fetchd.blockedThreads()).isEmpty();
  }

  /** A context on an event loop that is not the engine's. */
  private static ContextInternal otherLoop() throws Exception {
    VertxInternal vertx = (VertxInternal) fetchd.vertx();
    Thread engineThread = engine().onLoop(() -> Future.succeededFuture(Thread.currentThread()), x -> x)
        .await(10, TimeUnit.SECONDS);
    for (int i = 0; i < 16; i++) {
      ContextInternal c = vertx.createEventLoopContext();
      CompletableFuture<Thread> t = new CompletableFuture<>();
      c.runOnContext(v -> t.complete(Thread.currentThread()));
      if (t.get(10, TimeUnit.SECONDS) != engineThread) {
        return c;
      }
    }
    throw new AssertionError("no event loop other than the engine's");
  }
}
