package dev.fetchd.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.Job;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobState;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import dev.fetchd.store.MemoryJobStore;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JobWatchersTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /**
   * A long poll reads the job, then starts waiting on the engine's loop: a job that ended in between (here, or on
   * another replica) must answer at once, not after the whole wait with the stale state (then the client polls
   * again and may find the job already removed by retention).
   */
  @Test
  void aWaitForAJobThatEndedSinceItWasReadAnswersAtOnceWithTheEnd() throws Exception {
    MemoryJobStore store = new MemoryJobStore();
    Job job = new Job("j1", new JobSpec(JobType.DOWNLOAD, List.of("https://example.com/"),
        new Limits(8, 4, 0, 30_000, 60_000, 1 << 20, 2), null, 0, Map.of()), Instant.now(), null, null, null);
    store.insert(job, List.of()).await(5, TimeUnit.SECONDS);
    job.moveTo(JobState.RUNNING, Instant.now(), null);
    Job seen = job.copy(); // what the API read: still running
    job.moveTo(JobState.COMPLETED, Instant.now(), null); // ... then it ended, and it runs nowhere any more
    store.updateJob(job).await(5, TimeUnit.SECONDS);

    CompletableFuture<Job> answer = new CompletableFuture<>();
    vertx.runOnContext(v -> new JobWatchers(vertx, store, id -> null, j -> { }).awaitTerminal(seen, 30_000)
        .onComplete(ar -> answer.complete(ar.result())));
    assertThat(answer.get(5, TimeUnit.SECONDS).state()).isEqualTo(JobState.COMPLETED);
  }

  /**
   * A stream reads the job (queued), then follows it on the engine's loop; a job that started here in between
   * must be told to the follower at once, or its view stays "queued" until the next state change.
   */
  @Test
  void aFollowerShownAnOlderJobHearsOfTheChangeItMissed() throws Exception {
    MemoryJobStore store = new MemoryJobStore();
    Job job = new Job("j2", new JobSpec(JobType.DOWNLOAD, List.of("https://example.com/"),
        new Limits(8, 4, 0, 30_000, 60_000, 1 << 20, 2), null, 0, Map.of()), Instant.now(), null, null, null);
    store.insert(job, List.of()).await(5, TimeUnit.SECONDS);
    Job seen = job.copy(); // what the API read: queued
    job.moveTo(JobState.RUNNING, Instant.now(), null); // ... then it started here

    CompletableFuture<JobState> heard = new CompletableFuture<>();
    vertx.runOnContext(v -> new JobWatchers(vertx, store, id -> job, j -> { }).follow("j2", seen, new JobListener() {
      @Override
      public void stateChanged(Job j) {
        heard.complete(j.state());
      }

      @Override
      public void itemFinished(Job j, dev.fetchd.job.Item item) {
      }

      @Override
      public void progressed(Job j) {
      }
    }));
    assertThat(heard.get(5, TimeUnit.SECONDS)).isEqualTo(JobState.RUNNING);
  }
}
