package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Ctrl-C while watching a job: the JVM runs its shutdown hooks, and this one asks the person at the
 * terminal whether to cancel the job on the service too (default no: the job keeps running, as it would
 * if the terminal just closed). Installed only when there is someone to ask.
 */
final class CancelOnInterrupt {
  private final ApiClient api;
  private final String id;
  private final Function<String, String> prompt;
  private final PrintWriter out;
  private final ProgressView view;
  private final AtomicBoolean over = new AtomicBoolean();
  private final Thread hook = new Thread(this::interrupted, "fetchd-cli-interrupt");

  CancelOnInterrupt(ApiClient api, String id, Function<String, String> prompt, PrintWriter out, ProgressView view) {
    this.api = api;
    this.id = id;
    this.prompt = prompt;
    this.out = out;
    this.view = view;
  }

  void install() {
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** The watch ended by itself: no question on the way out. */
  void remove() {
    over.set(true);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or about to: over stops it from asking
    }
  }

  /** What the hook does: ask, and cancel the job on a yes. */
  void interrupted() {
    if (!over.compareAndSet(false, true)) {
      return;
    }
    view.silence();
    out.println();
    out.flush();
    String answer = prompt.apply("Cancel job " + id + " on the service? [y/N] ");
    try {
      if (answer != null && answer.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y")) {
        JsonObject job = api.delete(ApiCommand.jobPath(id));
        out.println("job " + id + " " + job.getString("state"));
      } else {
        out.println("job " + id + " keeps running; follow it with: fetchd wait " + id);
      }
    } catch (CliException e) {
      e.lines().forEach(out::println);
    }
    out.flush();
  }
}
