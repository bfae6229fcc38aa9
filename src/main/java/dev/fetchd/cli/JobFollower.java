package dev.fetchd.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * Follows a job through its Server-Sent Events ({@code GET /jobs/{id}/events}) until it is terminal, and
 * returns the job as it ended. A stream cut before the end (a restart, a proxy) is reopened with
 * Last-Event-ID; the service sends the current progress and state on every connect, so nothing is lost.
 */
final class JobFollower {
  /** Reconnects in a row without receiving anything before giving up. */
  static final int MAX_RECONNECTS = 8;

  private final ApiClient api;
  private final String id;
  private final ProgressView view;

  JobFollower(ApiClient api, String id, ProgressView view) {
    this.api = api;
    this.id = id;
    this.view = view;
  }

  JsonObject follow() {
    String lastId = null;
    int quietReconnects = 0;
    String lastProblem = "the stream ended";
    while (true) {
      boolean received = false;
      try (EventStream stream = api.events(ApiCommand.jobPath(id) + "/events", lastId)) {
        EventStream.Event e;
        while ((e = stream.next()) != null) {
          received = true;
          if (e.id() != null) {
            lastId = e.id();
          }
          switch (e.name()) {
            case "progress" -> view.progress(parse(e.data()));
            case "state" -> {
              String state = parse(e.data()).getString("state");
              view.state(state);
              if (JobStates.terminal(state)) {
                return api.get(ApiCommand.jobPath(id));
              }
            }
            case "comment" -> view.tick();
            default -> {
              // item events: the summary reads failed items from the items endpoint, the complete record
            }
          }
        }
      } catch (ApiProblem p) {
        throw p; // an answer of the service (unknown job, bad token): reconnecting would not change it
      } catch (CliException | IOException e) {
        lastProblem = e.getMessage();
      }
      quietReconnects = received ? 0 : quietReconnects + 1;
      if (quietReconnects >= MAX_RECONNECTS) {
        throw new CliException("lost the event stream of job " + id + ": " + lastProblem);
      }
      backOff(quietReconnects);
    }
  }

  private static JsonObject parse(String data) {
    try {
      return new JsonObject(data);
    } catch (DecodeException e) {
      return new JsonObject();
    }
  }

  private static void backOff(int attempt) {
    try {
      Thread.sleep(Math.min(5_000, 250L << Math.min(attempt, 5)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    }
  }
}
