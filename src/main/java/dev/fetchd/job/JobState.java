package dev.fetchd.job;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life of a job. Every change of state goes through {@link #canMoveTo}: queued -> running -> one
 * terminal state, or queued -> a terminal state directly (cancelled before it ran, or refused at
 * shutdown). Terminal states never change.
 */
public enum JobState {
  QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED, TIMED_OUT;

  private static final Set<JobState> TERMINAL = EnumSet.of(COMPLETED, FAILED, CANCELLED, TIMED_OUT);

  public boolean isTerminal() {
    return TERMINAL.contains(this);
  }

  public boolean canMoveTo(JobState to) {
    return switch (this) {
      case QUEUED -> to == RUNNING || to == CANCELLED || to == FAILED;
      // running -> queued: a job handed back to the queue (shutdown of one replica among several)
      case RUNNING -> to.isTerminal() || to == QUEUED;
      default -> false;
    };
  }

  /** The states a job may come from to reach {@code to}: what a SQL transition puts in its WHERE clause. */
  public static Set<JobState> sourcesOf(JobState to) {
    Set<JobState> from = EnumSet.noneOf(JobState.class);
    for (JobState s : values()) {
      if (s.canMoveTo(to)) {
        from.add(s);
      }
    }
    return from;
  }

  public String wire() {
    return name().toLowerCase();
  }

  public static JobState fromWire(String s) {
    return valueOf(s.toUpperCase());
  }
}
