package dev.fetchd.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The command-line client: {@code java -jar fetchd.jar <command>}. It talks to a running fetchd over its
 * HTTP API only. What it takes from the process (environment, stdin, whether there is a terminal) comes
 * in through {@link CliEnv}, so tests run it in-process with their own.
 */
@Command(name = "fetchd", mixinStandardHelpOptions = true, version = "fetchd 0.1.0",
    // every command answers --help (and --version) itself, not only `help <command>`
    scope = CommandLine.ScopeType.INHERIT,
    description = "Submit, watch, list, cancel and download fetchd jobs over the HTTP API.",
    subcommands = {SubmitCommand.class, JobsCommand.class, StatusCommand.class, ItemsCommand.class,
        CancelCommand.class, WaitCommand.class, GetCommand.class, CommandLine.HelpCommand.class},
    footerHeading = "%n",
    footer = {"  serve     Start the service (the default with no command; see `serve --help`).",
        "",
        "Environment: FETCHD_URL (instead of --url), FETCHD_TOKEN (an API token).",
        "Exit codes: 0 success (for submit --watch and wait: every item succeeded);",
        "  2 the job completed with failed items; 1 the job failed, was cancelled or",
        "  timed out, or the command failed; 64 bad usage."})
public final class FetchdCli implements Callable<Integer> {
  /** Exit code of a command line picocli could not parse (sysexits' EX_USAGE): 2 means failed items here. */
  public static final int USAGE = 64;

  @Option(names = "--url", scope = ScopeType.INHERIT, paramLabel = "URL",
      description = "The fetchd service (default: $FETCHD_URL, else http://localhost:8080).")
  String url;

  @Spec
  CommandSpec spec;

  final CliEnv env;

  FetchdCli(CliEnv env) {
    this.env = env;
  }

  /** No command given: say which there are. */
  @Override
  public Integer call() {
    spec.commandLine().getErr().println("fetchd: name a command");
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** The command's API client: base URL from --url, FETCHD_URL or the default; token from FETCHD_TOKEN. */
  ApiClient api() {
    String base = url != null ? url : env.var("FETCHD_URL");
    if (base == null || base.isBlank()) {
      base = "http://localhost:8080";
    }
    return new ApiClient(base, env.var("FETCHD_TOKEN"));
  }

  /** A picocli command line for this environment, writing to {@code out} and {@code err}. */
  public static CommandLine commandLine(CliEnv env, PrintWriter out, PrintWriter err) {
    CommandLine cmd = new CommandLine(new FetchdCli(env));
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setParameterExceptionHandler((ex, args) -> {
      // the mistake and where to read more; the whole usage would bury the one line that matters
      CommandLine at = ex.getCommandLine();
      PrintWriter e = at.getErr();
      e.println("fetchd: " + ex.getMessage());
      CommandLine.UnmatchedArgumentException.printSuggestions(ex, e);
      e.println("See '" + at.getCommandSpec().qualifiedName() + " --help'.");
      e.flush();
      return USAGE;
    });
    cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
      if (ex instanceof CliException e) {
        for (String l : e.lines()) {
          line.getErr().println(l);
        }
        line.getErr().flush();
        return e.exitCode();
      }
      throw ex;
    });
    return cmd;
  }

  /** Runs one command line with this process's environment; returns the exit code. */
  public static int run(String[] args) {
    CliEnv env = CliEnv.system();
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    try {
      return commandLine(env, out, err).execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** Whether these arguments name a client command (the server keeps no arguments, {@code serve} and its own options). */
  public static boolean isClientCommand(String[] args) {
    if (args.length == 0) {
      return false;
    }
    String first = args[0];
    return !(first.equals("serve") || first.equals("--config") || first.startsWith("--config="));
  }
}
