package dev.fetchd.cli;

import java.util.List;

/** An error a command reports to the user (on stderr, one or more lines) with the exit code it ends with. */
class CliException extends RuntimeException {
  private final transient List<String> lines;
  private final int exitCode;

  CliException(int exitCode, List<String> lines) {
    super(String.join("\n", lines));
    this.lines = List.copyOf(lines);
    this.exitCode = exitCode;
  }

  CliException(String message) {
    this(1, List.of("fetchd: " + message));
  }

  List<String> lines() {
    return lines;
  }

  int exitCode() {
    return exitCode;
  }
}
