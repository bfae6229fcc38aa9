package dev.fetchd.cli;

import java.io.Console;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Function;

/**
 * What the CLI takes from its process: environment variables, standard input, and the console (null when
 * stdin or stdout is not a terminal). Tests pass their own.
 *
 * @param vars environment variables
 * @param stdin read by {@code submit -}
 * @param terminal whether output goes to a terminal: a redrawn progress bar instead of plain lines
 * @param prompt asks the person at the terminal a question and returns the answer (null: nobody to ask)
 */
public record CliEnv(Map<String, String> vars, InputStream stdin, boolean terminal, Function<String, String> prompt) {

  public static CliEnv system() {
    Console console = System.console();
    return new CliEnv(System.getenv(), System.in, console != null,
        console == null ? null : question -> console.readLine("%s", question));
  }

  /** A non-interactive environment: no terminal, nobody to ask. */
  public static CliEnv of(Map<String, String> vars, InputStream stdin) {
    return new CliEnv(vars, stdin, false, null);
  }

  String var(String name) {
    return vars.get(name);
  }
}
