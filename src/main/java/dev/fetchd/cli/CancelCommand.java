package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "cancel", description = "Cancel a job (a finished job is left as it is).")
final class CancelCommand extends ApiCommand {
  @Parameters(paramLabel = "ID", description = "The job id.")
  String id;

  @Override
  public Integer call() {
    ApiClient api = api();
    // asked first so that cancelling twice says so: the DELETE itself answers a cancelled job either way
    JsonObject before = api.get(jobPath(id));
    if (JobStates.terminal(before.getString("state"))) {
      out().println("job " + before.getString("id") + " had already ended: " + before.getString("state"));
      out().flush();
      return JobStates.OK;
    }
    JsonObject job = api.delete(jobPath(id));
    String state = job.getString("state");
    if ("cancelled".equals(state)) {
      out().println("job " + job.getString("id") + " cancelled: " + JobStates.counts(JobStates.progress(job)));
    } else {
      out().println("job " + job.getString("id") + " had already ended: " + state);
    }
    out().flush();
    return JobStates.OK;
  }
}
