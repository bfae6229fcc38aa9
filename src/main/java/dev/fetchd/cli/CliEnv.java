package dev.fetchd.cli;

import java.io.Console;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.function.Function;

/**
 * What the CLI takes from its process: environment variables, standard input, and whether a person is at a
 * terminal. Tests pass their own.
 *
 * @param vars environment variables
 * @param stdin read by {@code submit -}
 * @param terminal whether output goes to a terminal: a redrawn progress bar instead of plain lines
 * @param prompt asks the person at the terminal a question and returns the answer (null: nobody to ask)
 */
public record CliEnv(Map<String, String> vars, InputStream stdin, boolean terminal, Function<String, String> prompt) {

  /** Console.isTerminal() of JDK 22+; null before it (we compile for 17, so it is looked up). */
  private static final Method IS_TERMINAL = isTerminalMethod();

  public static CliEnv system() {
    Console console = System.console();
    boolean terminal = isTerminal(console);
    return new CliEnv(System.getenv(), System.in, terminal,
        terminal ? question -> console.readLine("%s", question) : null);
  }

  private static Method isTerminalMethod() {
    try {
      return Console.class.getMethod("isTerminal");
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  /**
   * Up to JDK 21 System.console() is null unless stdin and stdout are both a terminal; from JDK 22 it may be
   * a console even when they are redirected, and only isTerminal() tells.
   */
  static boolean isTerminal(Console console) {
    if (console == null) {
      return false;
    }
    if (IS_TERMINAL == null) {
      return true;
    }
    try {
      return (Boolean) IS_TERMINAL.invoke(console);
    } catch (ReflectiveOperationException e) {
      return false; // cannot tell: plain lines are safe anywhere, a redrawn bar is not
    }
  }

  /** A non-interactive environment: no terminal, nobody to ask. */
  public static CliEnv of(Map<String, String> vars, InputStream stdin) {
    return new CliEnv(vars, stdin, false, null);
  }

  String var(String name) {
    return vars.get(name);
  }
}
