package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/** The end of a watch: how the job ended, and its failed items counted by error code with one example each. */
final class JobSummary {
  private JobSummary() {
  }

  private static final class Failures {
    long count;
    String example;
  }

  /** Prints the summary; returns the exit code the job's outcome calls for. */
  static int print(PrintWriter out, ApiClient api, JsonObject job) {
    String id = job.getString("id");
    String state = job.getString("state");
    JsonObject p = JobStates.progress(job);
    Instant started = Text.instant(job.getString("startedAt"));
    Instant finished = Text.instant(job.getString("finishedAt"));
    String took = started != null && finished != null ? " in " + Text.duration(Duration.between(started, finished)) : "";
    out.println("job " + id + " " + state + took + ": " + JobStates.counts(p));
    JsonObject error = job.getJsonObject("error");
    if (error != null) {
      out.println("  " + Text.oneLine(error.getString("code")) + ": " + Text.oneLine(error.getString("message")));
    }
    if (p.getLong("failed", 0L) > 0) {
      Map<String, Failures> byCode = new TreeMap<>();
      Items.forEach(api, id, "failed", item -> {
        JsonObject e = item.getJsonObject("error");
        String code = e == null ? "unknown" : e.getString("code", "unknown");
        Failures f = byCode.computeIfAbsent(code, c -> new Failures());
        f.count++;
        if (f.example == null) {
          f.example = Text.truncate(item.getString("url"), 100)
              + (e == null ? "" : ": " + Text.truncate(e.getString("message"), 80));
        }
        return true;
      });
      out.println("failed items by error code:");
      int width = byCode.keySet().stream().mapToInt(String::length).max().orElse(0);
      byCode.forEach((code, f) ->
          out.println("  " + Text.pad(code, width) + "  " + Text.padLeft(Long.toString(f.count), 6) + "  e.g. " + f.example));
    }
    out.flush();
    return JobStates.exitCode(job);
  }
}
