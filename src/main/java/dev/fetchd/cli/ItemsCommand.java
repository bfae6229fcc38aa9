package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "items", description = "List the items of a job (every page of them), in order of index.")
final class ItemsCommand extends ApiCommand {
  @Parameters(paramLabel = "ID", description = "The job id.")
  String id;

  @Option(names = "--state", paramLabel = "STATE",
      description = "Only items in this state: queued, running, succeeded, failed, skipped, cancelled.")
  String state;

  @Option(names = "--limit", paramLabel = "N", description = "Items to show at most (default: all).")
  Long limit;

  @Option(names = "--json", description = "One JSON object per item and line, as the API gives them.")
  boolean json;

  /** Items per request; only tests change it, to see every page followed. */
  @Option(names = "--page-size", hidden = true, defaultValue = "1000")
  int pageSize;

  @Override
  public Integer call() {
    PrintWriter out = out();
    ApiClient api = api();
    // the job first: an unknown id is an error before any header is printed
    api.get(jobPath(id));
    if (!json) {
      out.println(row("INDEX", "STATE", "HTTP", "BYTES", "TIME", "URL", "ERROR"));
    }
    long[] shown = {0};
    Items.forEach(api, id, state, pageSize, item -> {
      if (limit != null && shown[0] >= limit) {
        return false;
      }
      out.println(json ? item.encode() : row(item));
      shown[0]++;
      return true;
    });
    out.flush();
    return JobStates.OK;
  }

  private static String row(JsonObject item) {
    JsonObject e = item.getJsonObject("error");
    Integer status = item.getInteger("status");
    Long ms = item.getLong("durationMs");
    return row(Long.toString(item.getLong("index", 0L)), item.getString("state"), status == null ? "-" : status.toString(),
        Text.bytes(item.getLong("bytes", 0L)), ms == null ? "-" : ms + " ms", item.getString("url"),
        e == null ? "" : e.getString("code") + ": " + Text.truncate(e.getString("message"), 80));
  }

  private static String row(String index, String state, String status, String bytes, String time, String url, String error) {
    return Text.padLeft(index, 6) + "  " + Text.pad(state, 9) + "  " + Text.padLeft(status, 4) + "  "
        + Text.padLeft(bytes, 9) + "  " + Text.padLeft(time, 8) + "  " + Text.oneLine(url)
        + (error.isEmpty() ? "" : "  " + Text.oneLine(error));
  }
}
