package dev.fetchd.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "jobs", description = "List jobs, newest first.")
final class JobsCommand extends ApiCommand {
  @Option(names = "--state", paramLabel = "STATE",
      description = "Only jobs in this state: queued, running, completed, failed, cancelled, timed_out.")
  String state;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "Jobs to show at most (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--json", description = "One JSON object per job and line, as the API gives them.")
  boolean json;

  @Override
  public Integer call() {
    ApiClient api = api();
    PrintWriter out = out();
    int shown = 0;
    String cursor = null;
    boolean more;
    do {
      StringBuilder path = new StringBuilder("/jobs?limit=").append(Math.max(1, Math.min(1000, limit - shown)));
      if (state != null) {
        path.append("&state=").append(ApiClient.query(state));
      }
      if (cursor != null) {
        path.append("&cursor=").append(ApiClient.query(cursor));
      }
      JsonObject page = api.get(path.toString());
      if (!json && cursor == null) {
        out.println(row("ID", "STATE", "TYPE", "DONE", "FAILED", "BYTES", "CREATED", "LABELS"));
      }
      for (Object o : page.getJsonArray("jobs", new JsonArray())) {
        if (shown >= limit) {
          break;
        }
        JsonObject job = (JsonObject) o;
        out.println(json ? job.encode() : row(job));
        shown++;
      }
      cursor = page.getString("next");
      more = cursor != null;
    } while (more && shown < limit);
    if (!json && shown == 0) {
      out.println(state == null ? "(no jobs)" : "(no " + Text.oneLine(state) + " jobs)");
    }
    if (!json && more) {
      out.println("(more jobs: raise --limit)");
    }
    out.flush();
    return JobStates.OK;
  }

  private static String row(JsonObject job) {
    JsonObject p = JobStates.progress(job);
    JsonObject labels = job.getJsonObject("labels", new JsonObject());
    return row(job.getString("id"), job.getString("state"), job.getString("type"),
        JobStates.done(p) + "/" + p.getLong("total", 0L), Long.toString(p.getLong("failed", 0L)),
        Text.bytes(p.getLong("bytes", 0L)), Text.time(job.getString("createdAt")),
        labels.stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",")));
  }

  private static String row(String id, String state, String type, String done, String failed, String bytes,
      String created, String labels) {
    return Text.pad(id, 36) + "  " + Text.pad(state, 9) + "  " + Text.pad(type, 8) + "  " + Text.padLeft(done, 13)
        + "  " + Text.padLeft(failed, 6) + "  " + Text.padLeft(bytes, 9) + "  " + Text.pad(created, 20) + "  "
        + Text.oneLine(labels);
  }
}
