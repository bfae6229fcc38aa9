package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status", description = "Show one job: state, times, progress, error and options.")
final class StatusCommand extends ApiCommand {
  @Parameters(paramLabel = "ID", description = "The job id.")
  String id;

  @Option(names = "--json", description = "The job as the API gives it.")
  boolean json;

  @Override
  public Integer call() {
    JsonObject job = api().get(jobPath(id));
    PrintWriter out = out();
    if (json) {
      out.println(job.encodePrettily());
      out.flush();
      return JobStates.OK;
    }
    JsonObject p = JobStates.progress(job);
    JsonObject spec = job.getJsonObject("spec", new JsonObject());
    JsonObject limits = spec.getJsonObject("limits", new JsonObject());
    line(out, "id", job.getString("id"));
    line(out, "type", job.getString("type"));
    line(out, "state", job.getString("state"));
    JsonObject labels = job.getJsonObject("labels", new JsonObject());
    if (!labels.isEmpty()) {
      line(out, "labels", labels.stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", ")));
    }
    line(out, "created", Text.time(job.getString("createdAt")));
    line(out, "started", Text.time(job.getString("startedAt")));
    Instant started = Text.instant(job.getString("startedAt"));
    Instant finished = Text.instant(job.getString("finishedAt"));
    line(out, "finished", Text.time(job.getString("finishedAt"))
        + (started != null && finished != null ? " (took " + Text.duration(Duration.between(started, finished)) + ")" : ""));
    line(out, "progress", JobStates.done(p) + "/" + p.getLong("total", 0L) + " done; " + JobStates.counts(p));
    for (String kind : new String[] {"pages", "assets"}) {
      JsonObject k = p.getJsonObject(kind);
      if (k != null) {
        line(out, kind, JobStates.counts(k.copy().put("bytes", 0L)).replaceAll("; 0 B$", ""));
      }
    }
    JsonObject error = job.getJsonObject("error");
    if (error != null) {
      line(out, "error", error.getString("code") + ": " + error.getString("message"));
    }
    line(out, "urls", Long.toString(spec.getLong("urlCount", 0L)));
    line(out, "limits", limits.stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
    JsonObject crawl = spec.getJsonObject("crawl");
    if (crawl != null) {
      line(out, "crawl", crawl.stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
    }
    out.flush();
    return JobStates.OK;
  }

  private static void line(PrintWriter out, String key, String value) {
    out.println(Text.pad(key + ":", 10) + " " + Text.oneLine(value));
  }
}
