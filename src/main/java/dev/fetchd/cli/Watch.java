package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;

/** Follows a job to its end, optionally showing its progress, then prints the summary; returns the exit code. */
final class Watch {
  private Watch() {
  }

  static int run(CliEnv env, ApiClient api, String id, PrintWriter out, boolean showProgress) {
    ProgressView view = showProgress ? new ProgressRenderer(out, env.terminal(), System::nanoTime) : ProgressView.NONE;
    CancelOnInterrupt onInterrupt = showProgress && env.prompt() != null
        ? new CancelOnInterrupt(api, id, env.prompt(), out, view) : null;
    if (onInterrupt != null) {
      onInterrupt.install();
    }
    JsonObject job;
    try {
      job = new JobFollower(api, id, view).follow();
    } finally {
      if (onInterrupt != null) {
        onInterrupt.remove();
      }
      view.finish();
    }
    return JobSummary.print(out, api, job);
  }
}
