package dev.fetchd.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs CLI commands in this JVM as a shell would, with their own environment, stdin and captured output. */
final class Cli {
  record Run(int exit, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }

    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  private final Map<String, String> env = new HashMap<>();
  private String stdin = "";

  Cli(String url) {
    env.put("FETCHD_URL", url);
  }

  Cli token(String token) {
    env.put("FETCHD_TOKEN", token);
    return this;
  }

  Cli stdin(String text) {
    this.stdin = text;
    return this;
  }

  Run run(String... args) {
    return run(new StringWriter(), args);
  }

  /** Runs with stdout going to {@code out}, which another thread may read while the command runs. */
  Run run(StringWriter out, String... args) {
    StringWriter err = new StringWriter();
    CliEnv e = CliEnv.of(Map.copyOf(env), new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    int exit = FetchdCli.commandLine(e, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Run(exit, out.toString(), err.toString());
  }
}
