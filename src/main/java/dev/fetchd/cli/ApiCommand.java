package dev.fetchd.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** A command that calls the API: its client, output and environment come from the top-level command. */
abstract class ApiCommand implements Callable<Integer> {
  @ParentCommand
  FetchdCli root;

  @Spec
  CommandSpec spec;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  CliEnv env() {
    return root.env;
  }

  ApiClient api() {
    return root.api();
  }

  static String jobPath(String id) {
    return "/jobs/" + ApiClient.segment(id);
  }
}
