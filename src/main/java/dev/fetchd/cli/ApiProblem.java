package dev.fetchd.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/** An error answer of the API, printed readably: the problem's title and detail, then each field at fault. */
final class ApiProblem extends CliException {
  private final int status;

  private ApiProblem(int status, List<String> lines) {
    super(1, lines);
    this.status = status;
  }

  int status() {
    return status;
  }

  /** Reads an error answer: an RFC 9457 problem document when it is one, else its status and first bytes. */
  static ApiProblem of(int status, String body, String retryAfter) {
    List<String> lines = new ArrayList<>();
    JsonObject problem = parse(body);
    if (problem == null) {
      String text = body == null ? "" : body.strip();
      if (text.length() > 200) {
        text = text.substring(0, 200) + "...";
      }
      lines.add("fetchd: the service answered HTTP " + status + (text.isEmpty() ? "" : ": " + Text.oneLine(text)));
    } else {
      String title = problem.getString("title", "HTTP " + status);
      String detail = problem.getString("detail");
      JsonArray errors = problem.getJsonArray("errors");
      boolean hasErrors = errors != null && !errors.isEmpty();
      // with field errors, detail only repeats the first of them
      lines.add("fetchd: " + title + " (HTTP " + status + ")"
          + (detail != null && !hasErrors ? ": " + Text.oneLine(detail) : ""));
      if (hasErrors) {
        for (Object o : errors) {
          if (o instanceof JsonObject e) {
            String field = e.getString("field", "");
            lines.add("  " + (field.isEmpty() ? "(body)" : field) + ": " + Text.oneLine(e.getString("message", "")));
          }
        }
      }
    }
    if (status == 401) {
      lines.add("  set FETCHD_TOKEN to an API token of this service");
    } else if (status == 429 && retryAfter != null) {
      lines.add("  the queue is full; try again in " + retryAfter + " s");
    }
    return new ApiProblem(status, lines);
  }

  private static JsonObject parse(String body) {
    if (body == null || body.isBlank() || !body.strip().startsWith("{")) {
      return null;
    }
    try {
      JsonObject json = new JsonObject(body);
      return json.containsKey("title") || json.containsKey("status") ? json : null;
    } catch (DecodeException e) {
      return null;
    }
  }
}
