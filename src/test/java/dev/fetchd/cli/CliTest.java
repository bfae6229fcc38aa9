package dev.fetchd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end: its commands run in-process against a real fetchd and a real target. */
class CliTest {
  private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Pattern PLAIN_LINE = Pattern.compile(
      "\\d\\d:\\d\\d:\\d\\d (queued|running|completed|cancelled) +\\d+/\\d+ done \\(\\d+ succeeded, \\d+ failed, \\d+ skipped(, \\d+ cancelled)?(, \\d+ unchanged)?\\)  .*B  .*/s  ETA .*");

  static TargetServer target;
  static RunningService fetchd;
  static Cli cli;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    fetchd = RunningService.start();
    cli = new Cli(fetchd.baseUrl());
  }

  @AfterAll
  static void stop() {
    try {
      fetchd.close();
    } finally {
      target.close();
    }
  }

  @Test
  void submitPrintsTheIdOfAQueuedJob() {
    Cli.Run r = cli.run("submit", "--label", "team=docs", "--label", "run=1", "--concurrency", "3",
        target.url("/bytes/plain?size=100"));
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.lines()).hasSize(1);
    String id = r.lines().get(0);
    assertThat(id).matches(ID);
    JsonObject job = fetchd.awaitTerminal(id, Duration.ofSeconds(20));
    assertThat(job.getJsonObject("labels").getMap()).isEqualTo(Map.of("team", "docs", "run", "1"));
    assertThat(job.getJsonObject("spec").getJsonObject("limits").getInteger("concurrency")).isEqualTo(3);
    assertThat(job.getString("type")).isEqualTo("download");
  }

  @Test
  void watchOfAJobWithAFailedItemShowsPlainLinesAndFailuresByCodeAndExitsTwo() {
    Cli.Run r = cli.run("submit", "--watch", target.url("/bytes/w1?size=3000"), target.url("/bytes/w2?size=5000"),
        target.url("/status/404"), target.url("/status/410"));
    assertThat(r.exit()).as(r.toString()).isEqualTo(2);
    List<String> lines = r.lines();
    String id = lines.get(0);
    assertThat(id).matches(ID);
    // not a terminal: plain lines, no carriage returns, the last of them the terminal state
    assertThat(r.out()).doesNotContain("\r");
    List<String> progress = lines.stream().filter(l -> PLAIN_LINE.matcher(l).matches()).toList();
    assertThat(progress).as(r.toString()).isNotEmpty();
    assertThat(progress.get(progress.size() - 1)).contains("completed", "4/4 done (2 succeeded, 2 failed, 0 skipped)");
    assertThat(r.out()).contains("job " + id + " completed", "4 items: 2 succeeded, 2 failed, 0 skipped; 7.8 KiB");
    assertThat(r.out()).containsPattern("failed items by error code:\n  http_status +2  e\\.g\\. " + Pattern.quote(target.url("/status/")));
  }

  @Test
  void watchOfAJobWhoseItemsAllSucceedExitsZero() {
    Cli.Run r = cli.run("submit", "-w", target.url("/bytes/ok1?size=10"), target.url("/bytes/ok2?size=20"));
    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).contains("completed", "2 items: 2 succeeded, 0 failed, 0 skipped").doesNotContain("failed items");
  }

  @Test
  void watchOfAJobCancelledMeanwhileEndsWithExitOne() throws Exception {
    StringWriter out = new StringWriter();
    CompletableFuture<Cli.Run> watching = CompletableFuture.supplyAsync(
        () -> cli.run(out, "submit", "--watch", target.url("/stall"), target.url("/bytes/before-stall?size=10")));
    RunningService.await("the job id on stdout", Duration.ofSeconds(20), () -> ID.matcher(out.toString()).find());
    String id = out.toString().lines().findFirst().orElseThrow();
    RunningService.await("the job running", Duration.ofSeconds(20),
        () -> fetchd.get("/jobs/" + id).json().getString("state").equals("running"));
    assertThat(fetchd.delete("/jobs/" + id).status()).isEqualTo(200);
    Cli.Run r = watching.get(30, TimeUnit.SECONDS);
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).contains("job " + id + " cancelled");
    // the stalled item was cancelled: the last line counts it, so its numbers add up to the done count
    List<String> progress = r.lines().stream().filter(l -> PLAIN_LINE.matcher(l).matches()).toList();
    assertThat(progress).as(r.toString()).isNotEmpty();
    assertThat(progress.get(progress.size() - 1)).as(r.toString())
        .containsPattern("cancelled +2/2 done \\(1 succeeded, 0 failed, 0 skipped, 1 cancelled\\)");
  }

  /**
   * A job that runs past its deadline ends {@code timed_out}: exit 1 like a failed or cancelled job, although none
   * of its items failed, for {@code submit --watch} and for {@code wait}, whether the job is still running when
   * {@code wait} starts or has already ended.
   */
  @Test
  void aJobThatTimesOutEndsWithExitOneForWatchAndWait() {
    // submit has no deadline option: this service gives every job the least deadline a job may have, 1 s
    try (RunningService deadline = RunningService.start(Map.of("limits.timeoutMs", 1000))) {
      Cli c = new Cli(deadline.baseUrl());
      Cli.Run watched = c.run("submit", "--watch", target.url("/bytes/before-deadline?size=10"), target.url("/stall"));
      assertThat(watched.exit()).as(watched.toString()).isEqualTo(1);
      String id = watched.lines().get(0);
      assertThat(id).matches(ID);
      assertThat(deadline.get("/jobs/" + id).json().getString("state")).isEqualTo("timed_out");
      List<String> progress = watched.lines().stream().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d [a-z_]+ +\\d+/\\d+ done .*")).toList();
      assertThat(progress).as(watched.toString()).isNotEmpty();
      assertThat(progress.get(progress.size() - 1)).as(watched.toString())
          .containsPattern("timed_out 2/2 done \\(1 succeeded, 0 failed, 0 skipped, 1 cancelled\\)");
      assertThat(watched.out()).as(watched.toString()).containsPattern(Pattern.quote("job " + id + " timed_out in ")
          + ".*: 2 items: 1 succeeded, 0 failed, 0 skipped, 1 cancelled; 10 B\n  timed_out: job deadline of 1000 ms passed\n");

      // wait on the job that ended: at once, the same summary and exit code
      Cli.Run ended = c.run("wait", id);
      assertThat(ended.exit()).as(ended.toString()).isEqualTo(1);
      assertThat(ended.out()).as(ended.toString())
          .contains("job " + id + " timed_out in ", "  timed_out: job deadline of 1000 ms passed");

      // wait right after submitting: it follows the job (running, unless this machine took a second to get there)
      String later = c.run("submit", target.url("/stall")).lines().get(0);
      Cli.Run followed = c.run("wait", later);
      assertThat(followed.exit()).as(followed.toString()).isEqualTo(1);
      assertThat(followed.out()).as(followed.toString())
          .contains("job " + later + " timed_out in ", "  timed_out: job deadline of 1000 ms passed");
      assertThat(deadline.get("/jobs/" + later).json().getString("state")).isEqualTo("timed_out");
    }
  }

  @Test
  void jobsStatusItemsCancelAndWait() {
    String done = cli.run("submit", "--label", "kind=listing", target.url("/bytes/l1?size=1000"), target.url("/status/404"),
        target.url("/bytes/l2?size=2000"), target.url("/bytes/l3?size=10"), target.url("/bytes/l4?size=20")).lines().get(0);
    fetchd.awaitTerminal(done, Duration.ofSeconds(20));

    Cli.Run jobs = cli.run("jobs");
    assertThat(jobs.exit()).as(jobs.toString()).isZero();
    assertThat(jobs.lines().get(0)).startsWith("ID").contains("STATE", "DONE", "FAILED", "BYTES");
    assertThat(jobs.lines()).anySatisfy(l -> assertThat(l).startsWith(done).contains("completed", "5/5", "kind=listing"));

    Cli.Run status = cli.run("status", done);
    assertThat(status.exit()).as(status.toString()).isZero();
    assertThat(status.out()).contains("state:     completed", "progress:  5/5 done; 5 items: 4 succeeded, 1 failed",
        "labels:    kind=listing", "urls:      5");

    Cli.Run items = cli.run("items", done, "--page-size", "2");
    assertThat(items.exit()).as(items.toString()).isZero();
    assertThat(items.lines()).hasSize(6); // header and every item, over three pages
    assertThat(items.lines().get(2)).contains("failed", "404", target.url("/status/404"), "http_status");
    Cli.Run failed = cli.run("items", done, "--state", "failed");
    assertThat(failed.lines()).hasSize(2);
    assertThat(failed.lines().get(1)).contains(target.url("/status/404"));

    // wait on a finished job answers at once, with the summary and exit code of how it ended
    Cli.Run waited = cli.run("wait", done);
    assertThat(waited.exit()).as(waited.toString()).isEqualTo(2);
    assertThat(waited.out()).contains("job " + done + " completed", "http_status");

    String stalled = cli.run("submit", target.url("/stall")).lines().get(0);
    Cli.Run cancel = cli.run("cancel", stalled);
    assertThat(cancel.exit()).as(cancel.toString()).isZero();
    assertThat(cancel.out()).contains("job " + stalled + " cancelled");
    assertThat(fetchd.get("/jobs/" + stalled).json().getString("state")).isEqualTo("cancelled");
    assertThat(cli.run("cancel", stalled).out()).contains("had already ended: cancelled");
    Cli.Run waitCancelled = cli.run("wait", stalled);
    assertThat(waitCancelled.exit()).as(waitCancelled.toString()).isEqualTo(1);
    assertThat(waitCancelled.out()).contains("job " + stalled + " cancelled");

    Cli.Run completedOnly = cli.run("jobs", "--state", "completed");
    assertThat(completedOnly.lines()).anySatisfy(l -> assertThat(l).startsWith(done));
    assertThat(completedOnly.lines().stream().skip(1)).allSatisfy(l -> assertThat(l).contains(" completed "));
    assertThat(completedOnly.out()).doesNotContain(stalled);
  }

  @Test
  void urlsComeFromFilesAndStdinInTheOrderGiven(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("urls.txt");
    Files.writeString(file, "# a list\n" + target.url("/bytes/f1?size=5") + "\n\n  " + target.url("/bytes/f2?size=5") + "  \n");
    Path other = dir.resolve("more.txt");
    Files.writeString(other, target.url("/bytes/g1?size=5") + "\n");
    String id = new Cli(fetchd.baseUrl()).stdin(target.url("/bytes/s1?size=5") + "\n")
        .run("submit", target.url("/bytes/a0?size=5"), "-f", file.toString(), "-", target.url("/bytes/a1?size=5"),
            "--file=" + other, target.url("/bytes/a2?size=5")).lines().get(0);
    assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(20)).getJsonObject("spec").getInteger("urlCount")).isEqualTo(7);
    // items are created in the order of the submitted list: arguments, files and stdin as typed
    assertThat(fetchd.items(id)).extracting(i -> i.getString("url")).containsExactly(
        target.url("/bytes/a0?size=5"), target.url("/bytes/f1?size=5"), target.url("/bytes/f2?size=5"),
        target.url("/bytes/s1?size=5"), target.url("/bytes/a1?size=5"), target.url("/bytes/g1?size=5"),
        target.url("/bytes/a2?size=5"));
  }

  @Test
  void crawlOptionsReachTheJob() {
    target.html("/cli-crawl/", "<a href=\"/cli-crawl/a\">a</a>");
    target.html("/cli-crawl/a", "<p>a</p>");
    Cli.Run r = cli.run("submit", "--crawl", "--depth", "1", "--pages", "5", "--watch", target.url("/cli-crawl/"));
    assertThat(r.exit()).as(r.toString()).isZero();
    JsonObject job = fetchd.get("/jobs/" + r.lines().get(0)).json();
    assertThat(job.getString("type")).isEqualTo("crawl");
    assertThat(job.getJsonObject("spec").getJsonObject("crawl").getInteger("maxDepth")).isEqualTo(1);
    assertThat(job.getJsonObject("spec").getJsonObject("crawl").getInteger("maxPages")).isEqualTo(5);
    assertThat(job.getJsonObject("progress").getLong("succeeded")).isEqualTo(2);
  }

  @Test
  void getSavesEveryBodyUnderSafePathsVerifiedAndResumes(@TempDir Path out) throws Exception {
    List<String> urls = List.of(
        target.url("/bytes/dir/a.bin?size=70000"),
        target.url("/bytes/dir/a.bin?size=10"),   // same path, another query: its own file
        target.url("/bytes/dir/"),                // trailing slash: dir/index.html
        target.url("/bytes/dir/index.html"),      // the same path as the one before: suffixed
        target.url("/status/404"),                // failed: nothing to save
        target.url("/bytes/dir"));                // a file where "dir" is already a folder: suffixed
    String[] args = Stream.concat(Stream.of("submit"), urls.stream()).toArray(String[]::new);
    String id = cli.run(args).lines().get(0);
    fetchd.awaitTerminal(id, Duration.ofSeconds(20));
    List<JsonObject> items = fetchd.items(id);

    Cli.Run first = cli.run("get", id, "--out", out.toString(), "--page-size", "2");
    assertThat(first.exit()).as(first.toString()).isZero();
    assertThat(first.out()).contains("5 downloaded, 0 already there, 0 failed");
    String host = "127.0.0.1_" + target.port();
    Map<Integer, Path> expected = Map.of(
        0, out.resolve(host + "/bytes/dir/a.bin@size=70000"),
        1, out.resolve(host + "/bytes/dir/a.bin@size=10"),
        2, out.resolve(host + "/bytes/dir/index.html"),
        3, out.resolve(host + "/bytes/dir/index~3.html"),
        5, out.resolve(host + "/bytes/dir~5"));
    for (Map.Entry<Integer, Path> e : expected.entrySet()) {
      JsonObject item = items.get(e.getKey());
      assertThat(e.getValue()).as(item.encode()).isRegularFile();
      assertThat(sha256(e.getValue())).isEqualTo(item.getString("sha256"));
    }
    assertThat(Files.size(expected.get(0))).isEqualTo(70_000);
    try (Stream<Path> all = Files.walk(out)) {
      assertThat(all.filter(Files::isRegularFile)).as("only the five bodies, no temporary files")
          .containsExactlyInAnyOrderElementsOf(expected.values());
    }

    // again: everything is there with the right hash, nothing is downloaded
    Cli.Run second = cli.run("get", id, "--out", out.toString());
    assertThat(second.exit()).as(second.toString()).isZero();
    assertThat(second.out()).contains("0 downloaded, 5 already there, 0 failed").doesNotContain("fetched");

    // a damaged file is downloaded again; the others are kept
    Files.writeString(expected.get(0), "damaged");
    Cli.Run third = cli.run("get", id, "--out", out.toString());
    assertThat(third.exit()).as(third.toString()).isZero();
    assertThat(third.out()).contains("replaced  " + host + "/bytes/dir/a.bin@size=70000", "1 downloaded, 4 already there");
    assertThat(sha256(expected.get(0))).isEqualTo(items.get(0).getString("sha256"));
  }

  @Test
  void aRefusedSubmissionPrintsTheProblemAndExitsOne() {
    int before = fetchd.get("/jobs?limit=1000").json().getJsonArray("jobs").size();
    Cli.Run r = cli.run("submit", target.url("/bytes/fine"), "ftp://example.com/file");
    assertThat(r.exit()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("The request is invalid (HTTP 400)", "/urls/1: ", "ftp");
    assertThat(fetchd.get("/jobs?limit=1000").json().getJsonArray("jobs").size()).isEqualTo(before);

    Cli.Run unknown = cli.run("status", "no-such-job");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("HTTP 404", "no-such-job");
  }

  @Test
  void badUsageExitsSixtyFour() {
    Cli.Run depthWithoutCrawl = cli.run("submit", "--depth", "2", target.url("/x"));
    assertThat(depthWithoutCrawl.exit()).isEqualTo(FetchdCli.USAGE);
    assertThat(depthWithoutCrawl.err()).contains("--crawl");
    assertThat(cli.run("submit").err()).contains("no URLs");
    assertThat(cli.run("frobnicate").exit()).isEqualTo(FetchdCli.USAGE);
    assertThat(cli.run("--url", "localhost:8080", "jobs").exit()).isEqualTo(FetchdCli.USAGE);
  }

  @Test
  void everyCommandAnswersHelp() {
    for (String command : List.of("submit", "jobs", "status", "items", "cancel", "wait", "get")) {
      Cli.Run r = cli.run(command, "--help");
      assertThat(r.exit()).as(r.toString()).isZero();
      assertThat(r.out()).as(command).contains("Usage: fetchd " + command);
    }
  }

  @Test
  void aServiceThatIsNotThereIsSaidPlainly() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Cli.Run r = cli.run("--url", "http://127.0.0.1:" + port, "jobs");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).contains("cannot connect to http://127.0.0.1:" + port, "connection refused");
  }

  @Test
  void aServiceWithTokensNeedsFetchdToken() {
    try (RunningService guarded = RunningService.start(Map.of("apiTokens", "cli-token-0123456789abcdef"))) {
      Cli.Run anonymous = new Cli(guarded.baseUrl()).run("jobs");
      assertThat(anonymous.exit()).isEqualTo(1);
      assertThat(anonymous.err()).contains("HTTP 401", "FETCHD_TOKEN");
      Cli.Run wrong = new Cli(guarded.baseUrl()).token("not-the-token-at-all").run("jobs");
      assertThat(wrong.exit()).isEqualTo(1);

      Cli withToken = new Cli(guarded.baseUrl()).token("cli-token-0123456789abcdef");
      Cli.Run submitted = withToken.run("submit", "--watch", target.url("/bytes/tok?size=10"));
      assertThat(submitted.exit()).as(submitted.toString()).isZero();
      String id = submitted.lines().get(0);
      assertThat(withToken.run("jobs").out()).contains(id);
      assertThat(withToken.run("status", id).out()).contains("completed");
    }
  }

  @Test
  void ctrlCDuringWatchCancelsTheJobOnYesAndLeavesItOnNo() {
    String id = cli.run("submit", target.url("/stall")).lines().get(0);
    StringWriter shown = new StringWriter();
    java.io.PrintWriter out = new java.io.PrintWriter(shown, true);
    ApiClient api = new ApiClient(fetchd.baseUrl(), null);

    new CancelOnInterrupt(api, id, question -> "n", out, ProgressView.NONE).interrupted();
    assertThat(shown.toString()).contains("keeps running", "fetchd wait " + id);
    assertThat(fetchd.get("/jobs/" + id).json().getString("state")).isIn("queued", "running");

    new CancelOnInterrupt(api, id, question -> {
      assertThat(question).contains("Cancel job " + id);
      return "y";
    }, out, ProgressView.NONE).interrupted();
    assertThat(shown.toString()).contains("job " + id + " cancelled");
    assertThat(fetchd.get("/jobs/" + id).json().getString("state")).isEqualTo("cancelled");
  }

  /**
   * Ctrl-C for real: {@code submit --watch} runs as its own JVM (this one's Java) on a pseudo-terminal (script(1)),
   * and the test types at it as a person would. The byte 0x03 goes in at the terminal's input; the pty's line
   * discipline turns it into SIGINT for the foreground process group (the JVM), whose shutdown hook asks on the
   * terminal. "y" cancels the job on the service; "n" leaves it running.
   */
  @Test
  void ctrlCOnATerminalAsksThenCancelsTheJobOnYesAndLeavesItRunningOnNo() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")),
        "needs script(1) (util-linux) for a pseudo-terminal");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        new ProcessBuilder("env", "--default-signal=INT", "true").start().waitFor() == 0,
        "needs env --default-signal (GNU coreutils 8.31+)");

    String yes = interruptWatchAndAnswer("y");
    assertThat(fetchd.awaitTerminal(yes, Duration.ofSeconds(20)).getString("state")).isEqualTo("cancelled");

    String no = interruptWatchAndAnswer("n");
    try {
      // the CLI has exited: nothing is left that could still cancel it
      assertThat(fetchd.get("/jobs/" + no).json().getString("state")).isEqualTo("running");
    } finally {
      fetchd.delete("/jobs/" + no);
    }
  }

  /**
   * Starts {@code submit --watch} of a job that stalls, on a terminal; types Ctrl-C once its progress bar shows,
   * waits for the question and answers it; returns the job's id once the CLI has exited.
   */
  private static String interruptWatchAndAnswer(String answer) throws Exception {
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    // exec: the JVM replaces the shell, so it alone is the terminal's foreground process. env --default-signal:
    // a JVM that starts with SIGINT ignored (as anything started in the background by a non-interactive shell
    // is, a CI runner's say) keeps ignoring it, and Ctrl-C would do nothing
    String command = "exec env --default-signal=INT '" + javaBin + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
        + " dev.fetchd.Main submit --watch '" + target.url("/stall") + "'";
    try (Terminal t = new Terminal(command)) {
      t.await("the job id", screen -> ID.matcher(screen).find());
      Matcher m = ID.matcher(t.screen());
      assertThat(m.find()).isTrue();
      String id = m.group();
      // the bar is drawn by the watch, which installs its Ctrl-C hook before it begins
      t.await("the progress bar", screen -> screen.contains("] 0/1"));
      assertThat(fetchd.get("/jobs/" + id).json().getString("state")).isEqualTo("running");

      t.type("\u0003");
      String question = "Cancel job " + id + " on the service? [y/N] ";
      t.await("the question", screen -> screen.contains(question));
      t.type(answer + "\n");
      int exit = t.exit();
      String shown = t.screen();
      // the terminal echoes what is typed, and ends every line in \r\n
      if (answer.equals("y")) {
        assertThat(shown).containsPattern(Pattern.quote(question) + "y\r\n(.*\r\n)*job " + id + " cancelled\r\n");
      } else {
        assertThat(shown).contains(question + "n\r\n")
            .contains("job " + id + " keeps running; follow it with: fetchd wait " + id);
        // the JVM ended on SIGINT: 128 + 2, what a shell reports for an interrupted command. (Not checked on a
        // yes: the watch sees the job end too, and its own System.exit(1) may win the race to halt the JVM.)
        assertThat(exit).as(shown).isEqualTo(130);
      }
      return id;
    }
  }

  /** A command on a pseudo-terminal of its own (script(1)): what it has shown so far, and keys typed at it. */
  private static final class Terminal implements AutoCloseable {
    private final Process p;
    private final StringBuffer screen = new StringBuffer();
    private final Thread reader;

    Terminal(String command) throws IOException {
      // niced, as in aNewerJdkDrawsTheBarOnlyOnATerminal: a starting JVM must not starve this one's fetchd
      ProcessBuilder pb = new ProcessBuilder("nice", "-n", "15", "/usr/bin/script", "-qfec", command, "/dev/null");
      pb.environment().put("CLASSPATH", System.getProperty("java.class.path"));
      pb.environment().put("FETCHD_URL", fetchd.baseUrl());
      pb.environment().put("SHELL", "/bin/sh"); // what script(1) runs the command with
      pb.environment().remove("FETCHD_TOKEN");
      pb.redirectErrorStream(true);
      p = pb.start();
      reader = new Thread(() -> {
        try (Reader r = new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)) {
          char[] buf = new char[4096];
          for (int n; (n = r.read(buf)) >= 0; ) {
            screen.append(buf, 0, n);
          }
        } catch (IOException e) {
          // the terminal closed
        }
      }, "terminal-reader");
      reader.start();
    }

    String screen() {
      return screen.toString();
    }

    /** Polls until the screen shows {@code what}; fails at once if the command exits without showing it. */
    void await(String what, java.util.function.Predicate<String> shows) throws InterruptedException {
      RunningService.await(what + " on the terminal", Duration.ofSeconds(60),
          () -> shows.test(screen()) || !p.isAlive(), this::screen);
      if (!p.isAlive()) {
        reader.join(5_000);
      }
      assertThat(shows.test(screen())).as("the terminal showed " + what + " before exit; it showed:\n" + screen()).isTrue();
    }

    /** Types at the terminal's keyboard: the bytes reach the command through the pty's line discipline. */
    void type(String keys) throws IOException {
      p.getOutputStream().write(keys.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().flush();
    }

    int exit() throws InterruptedException {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exited; it showed:\n" + screen()).isTrue();
      reader.join(5_000);
      return p.exitValue();
    }

    @Override
    public void close() throws IOException {
      p.getOutputStream().close();
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  @Test
  void theMainClassRunsClientCommandsAsAProcess() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.fetchd.Main",
        "submit", "--watch", target.url("/bytes/proc?size=2048"), target.url("/status/500"));
    Cli.Run r = runProcess(pb, 2);
    assertThat(r.out().lines().findFirst().orElse("")).matches(ID);
    assertThat(r.out()).contains("completed", "1 succeeded, 1 failed", "http_status").doesNotContain("INFO");
    assertThat(r.err()).isEmpty();
  }

  /**
   * JDK 22+ may hand out a Console even when output is redirected, so the CLI asks Console.isTerminal() there.
   * Under the newest JDK installed beside this one: a pseudo-terminal (script(1)) gets the redrawn bar, a pipe
   * gets plain lines. (JDK 25 returns no Console for a pipe again; 22 to 24 did.)
   */
  @Test
  void aNewerJdkDrawsTheBarOnlyOnATerminal() throws Exception {
    Path java = newerJdk();
    org.junit.jupiter.api.Assumptions.assumeTrue(java != null, "no JDK 22+ beside " + System.getProperty("java.home"));
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "needs script(1)");
    String submit = "'" + java + "' dev.fetchd.Main submit --watch '" + target.url("/bytes/tty?size=100") + "'";

    // niced, as DashboardTest's browser: a starting JVM beside this one's fetchd would starve its event loop
    ProcessBuilder tty = new ProcessBuilder("nice", "-n", "15", "/usr/bin/script", "-qec", submit, "/dev/null");
    String onTerminal = runProcess(tty, 0).out();
    assertThat(onTerminal).as(onTerminal).contains("[########################] 1/1").doesNotContainPattern(PLAIN_LINE.pattern());

    ProcessBuilder piped = new ProcessBuilder("nice", "-n", "15", java.toString(), "dev.fetchd.Main", "submit", "--watch", target.url("/bytes/pipe?size=100"));
    String onPipe = runProcess(piped, 0).out();
    assertThat(onPipe.lines().filter(l -> PLAIN_LINE.matcher(l).matches())).as(onPipe).isNotEmpty();
    assertThat(onPipe).doesNotContain("\r", "[#");
  }

  /** Runs a CLI process against this fetchd with stdin from /dev/null; what it printed, once it exited {@code exit}. */
  private static Cli.Run runProcess(ProcessBuilder pb, int exit) throws Exception {
    pb.environment().putIfAbsent("CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().put("FETCHD_URL", fetchd.baseUrl());
    pb.environment().remove("FETCHD_TOKEN");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    String out = read(p.getInputStream());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out + err.get()).isEqualTo(exit);
    return new Cli.Run(exit, out, err.get());
  }

  /** bin/java of the newest JDK 22+ installed beside the running one (as in /usr/lib/jvm), or null. */
  private static Path newerJdk() throws IOException {
    Path home = Path.of(System.getProperty("java.home"));
    Pattern version = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");
    Path best = null;
    int bestVersion = 21;
    try (Stream<Path> jdks = Files.list(home.getParent())) {
      for (Path jdk : jdks.toList()) {
        Path release = jdk.resolve("release");
        Path java = jdk.resolve("bin/java");
        if (Files.isRegularFile(release) && Files.isExecutable(java)) {
          java.util.regex.Matcher m = version.matcher(Files.readString(release));
          if (m.find() && Integer.parseInt(m.group(1)) > bestVersion) {
            bestVersion = Integer.parseInt(m.group(1));
            best = java;
          }
        }
      }
    }
    return best;
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
