package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.Job;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobState;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the API keeps of finished jobs: only terminal ones, until retention may remove them, a bounded number. */
class FinishedViewsTest {
  private static final long RETENTION = 60_000;

  private static Job job(String id, JobState state, Instant finishedAt) {
    JobSpec spec = new JobSpec(JobType.DOWNLOAD, List.of("https://example.com/"),
        new Limits(1, 1, 0, 1_000, 60_000, 1024, 0), null, 0, Map.of());
    Job job = new Job(id, spec, Instant.parse("2026-01-01T00:00:00Z"), null, null, "alice");
    job.restore(state, finishedAt, finishedAt, null);
    return job;
  }

  @Test
  void aFinishedJobIsKeptUntilRetentionMayHaveRemovedIt() {
    FinishedViews views = new FinishedViews(RETENTION, 10, 1 << 20);
    Instant done = Instant.parse("2026-01-01T00:01:00Z");
    long now = done.toEpochMilli() + 1_000;
    String body = views.encode(job("a", JobState.COMPLETED, done), now).toString();
    assertThat(body).contains("\"state\":\"completed\"");
    FinishedViews.View kept = views.get("a", now + 1);
    assertThat(kept).isNotNull();
    assertThat(kept.owner()).isEqualTo("alice");
    assertThat(kept.body().toString()).isEqualTo(body);
    assertThat(views.get("a", done.toEpochMilli() + RETENTION - 1)).isNotNull();
    assertThat(views.get("a", done.toEpochMilli() + RETENTION)).as("the cleaner may have removed it").isNull();
    assertThat(views.get("a", now)).as("and it is not kept after that").isNull();
  }

  @Test
  void runningJobsAndJobsPastRetentionAreNotKept() {
    FinishedViews views = new FinishedViews(RETENTION, 10, 1 << 20);
    long now = Instant.parse("2026-01-01T01:00:00Z").toEpochMilli();
    views.encode(job("running", JobState.RUNNING, null), now);
    views.encode(job("old", JobState.FAILED, Instant.ofEpochMilli(now - RETENTION)), now);
    assertThat(views.get("running", now)).isNull();
    assertThat(views.get("old", now)).isNull();
  }

  @Test
  void theLeastRecentlyReadGoFirstPastTheBound() {
    FinishedViews views = new FinishedViews(RETENTION, 3, 1 << 20);
    Instant done = Instant.parse("2026-01-01T00:01:00Z");
    long now = done.toEpochMilli();
    for (String id : List.of("a", "b", "c")) {
      views.encode(job(id, JobState.CANCELLED, done), now);
    }
    assertThat(views.get("a", now)).isNotNull(); // read: b is now the least recent
    views.encode(job("d", JobState.CANCELLED, done), now);
    assertThat(views.get("b", now)).isNull();
    assertThat(views.get("a", now)).isNotNull();
    assertThat(views.get("c", now)).isNotNull();
    assertThat(views.get("d", now)).isNotNull();
  }

  @Test
  void theBytesKeptStayWithinTheBudget() {
    Instant done = Instant.parse("2026-01-01T00:01:00Z");
    long now = done.toEpochMilli();
    int one = new FinishedViews(RETENTION, 10, 1 << 20).encode(job("a", JobState.COMPLETED, done), now).length();
    FinishedViews views = new FinishedViews(RETENTION, 100, 2L * one);
    for (String id : List.of("a", "b", "c")) {
      views.encode(job(id, JobState.COMPLETED, done), now);
    }
    assertThat(views.get("a", now)).as("out: three views are over the budget of two").isNull();
    assertThat(views.get("b", now)).isNotNull();
    assertThat(views.get("c", now)).isNotNull();
    views.encode(job("c", JobState.COMPLETED, done), now); // read again: counted once
    views.encode(job("d", JobState.COMPLETED, done), now);
    assertThat(views.get("b", now)).isNull();
    assertThat(views.get("c", now)).isNotNull();
    assertThat(views.get("d", now)).isNotNull();
    FinishedViews tiny = new FinishedViews(RETENTION, 100, one - 1);
    tiny.encode(job("big", JobState.COMPLETED, done), now);
    assertThat(tiny.get("big", now)).as("a view over the whole budget is not kept").isNull();
  }
}
