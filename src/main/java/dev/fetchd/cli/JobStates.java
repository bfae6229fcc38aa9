package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;

/** What a job's state and progress mean for the exit code, and the counts a person reads. */
final class JobStates {
  /** Exit code: a job whose items all succeeded (skipped ones included). */
  static final int OK = 0;
  /** Exit code: the job failed, was cancelled or timed out (or the command failed). */
  static final int JOB_FAILED = 1;
  /** Exit code: the job completed but some of its items failed. */
  static final int ITEMS_FAILED = 2;

  private JobStates() {
  }

  static boolean terminal(String state) {
    return state != null && !state.equals("queued") && !state.equals("running");
  }

  static int exitCode(JsonObject job) {
    String state = job.getString("state");
    if ("completed".equals(state)) {
      return progress(job).getLong("failed", 0L) > 0 ? ITEMS_FAILED : OK;
    }
    return JOB_FAILED;
  }

  static JsonObject progress(JsonObject job) {
    JsonObject p = job.getJsonObject("progress");
    return p == null ? new JsonObject() : p;
  }

  /** Items that reached an outcome: succeeded, failed, skipped or cancelled. */
  static long done(JsonObject p) {
    return p.getLong("succeeded", 0L) + p.getLong("failed", 0L) + p.getLong("skipped", 0L) + p.getLong("cancelled", 0L);
  }

  /** "3 items: 2 succeeded, 1 failed, 0 skipped" ("1 item: ..."; cancelled when there are any), then the bytes. */
  static String counts(JsonObject p) {
    StringBuilder b = new StringBuilder();
    long total = p.getLong("total", 0L);
    b.append(total).append(total == 1 ? " item: " : " items: ")
        .append(p.getLong("succeeded", 0L)).append(" succeeded, ")
        .append(p.getLong("failed", 0L)).append(" failed, ")
        .append(p.getLong("skipped", 0L)).append(" skipped");
    long cancelled = p.getLong("cancelled", 0L);
    if (cancelled > 0) {
      b.append(", ").append(cancelled).append(" cancelled");
    }
    long unchanged = p.getLong("unchanged", 0L);
    if (unchanged > 0) {
      b.append(" (").append(unchanged).append(" unchanged)"); // a recrawl: succeeded with a 304
    }
    long open = p.getLong("queued", 0L) + p.getLong("running", 0L);
    if (open > 0) {
      b.append(", ").append(open).append(" to do");
    }
    b.append("; ").append(Text.bytes(p.getLong("bytes", 0L)));
    return b.toString();
  }
}
