package dev.fetchd.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "wait", description = {"Wait for a job to end, then summarise it.",
    "Exit code: 0 all items succeeded, 2 some failed, 1 the job failed, was cancelled or timed out."})
final class WaitCommand extends ApiCommand {
  @Parameters(paramLabel = "ID", description = "The job id.")
  String id;

  @Option(names = {"-p", "--progress"}, description = "Show progress while waiting (as submit --watch does).")
  boolean progress;

  @Override
  public Integer call() {
    return Watch.run(env(), api(), id, out(), progress);
  }
}
