package dev.fetchd.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Walks every pair of the job and item state tables: what may change, and that outcomes never do. */
class StateTablesTest {
  static final Map<JobState, Set<JobState>> JOB_TABLE = Map.of(
      JobState.QUEUED, EnumSet.of(JobState.RUNNING, JobState.CANCELLED, JobState.FAILED),
      JobState.RUNNING, EnumSet.of(JobState.QUEUED, JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED,
          JobState.TIMED_OUT),
      JobState.COMPLETED, EnumSet.noneOf(JobState.class),
      JobState.FAILED, EnumSet.noneOf(JobState.class),
      JobState.CANCELLED, EnumSet.noneOf(JobState.class),
      JobState.TIMED_OUT, EnumSet.noneOf(JobState.class));

  static Job jobIn(JobState state) {
    JobSpec spec = new JobSpec(JobType.DOWNLOAD, List.of("https://example.com/"),
        new Limits(1, 1, 0, 1_000, 60_000, 1024, 0), null, 0, Map.of());
    Job job = new Job("j", spec, Instant.now(), null, null, null);
    job.restore(state, null, null, null);
    return job;
  }

  @Test
  void everyJobStatePairFollowsTheTable() {
    for (JobState from : JobState.values()) {
      for (JobState to : JobState.values()) {
        boolean allowed = JOB_TABLE.get(from).contains(to);
        assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(allowed);
        Job job = jobIn(from);
        if (allowed) {
          job.moveTo(to, Instant.now(), null);
          assertThat(job.state()).isEqualTo(to);
        } else {
          assertThatThrownBy(() -> job.moveTo(to, Instant.now(), null)).as(from + " -> " + to)
              .isInstanceOf(IllegalStateException.class);
          assertThat(job.state()).isEqualTo(from);
        }
        assertThat(JobState.sourcesOf(to).contains(from)).isEqualTo(allowed);
      }
      if (from.isTerminal()) {
        assertThat(JOB_TABLE.get(from)).as("terminal " + from + " never changes").isEmpty();
      }
    }
  }

  @Test
  void everyItemStatePairFollowsTheTable() {
    for (ItemState from : ItemState.values()) {
      for (ItemState to : ItemState.values()) {
        boolean expected = switch (from) {
          case QUEUED -> to == ItemState.RUNNING || to == ItemState.FAILED || to == ItemState.SKIPPED
              || to == ItemState.CANCELLED;
          case RUNNING -> to != ItemState.RUNNING;
          default -> false;
        };
        assertThat(from.canMoveTo(to)).as(from + " -> " + to).isEqualTo(expected);
        if (from.isFinal()) {
          assertThat(from.canMoveTo(to)).as("an outcome never changes").isFalse();
        }
      }
    }
  }
}
