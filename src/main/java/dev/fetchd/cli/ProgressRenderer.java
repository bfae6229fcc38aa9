package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.function.LongSupplier;

/**
 * Shows a job's progress: on a terminal, one bar redrawn in place (done/total, bytes, rate, ETA); otherwise
 * plain lines, one per state change and at most one a second while items finish, which read well in a log
 * file or CI output. Rate and ETA are measured from when the watch started.
 */
final class ProgressRenderer implements ProgressView {
  static final long LINE_EVERY_NANOS = Duration.ofSeconds(1).toNanos();
  static final long QUIET_LINE_EVERY_NANOS = Duration.ofSeconds(10).toNanos();
  private static final int BAR = 24;
  /** Always six digits: LocalTime.toString() leaves out seconds that are 00 ("07:51"). */
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

  private final PrintWriter out;
  private final boolean terminal;
  private final LongSupplier nanos;
  private final Clock clock;

  private JsonObject latest = new JsonObject();
  private String state; // null until the stream's first state event, which follows its first progress
  private long startNanos = -1;
  private long startBytes;
  private long startDone;
  private long lastLineNanos = Long.MIN_VALUE / 2;
  private String lastLine = "";
  private int drawnWidth;
  private boolean silenced;

  ProgressRenderer(PrintWriter out, boolean terminal, LongSupplier nanos) {
    this(out, terminal, nanos, Clock.systemDefaultZone());
  }

  /** clock: the wall-clock time at the start of each plain line (nanos measures rates and intervals). */
  ProgressRenderer(PrintWriter out, boolean terminal, LongSupplier nanos, Clock clock) {
    this.out = out;
    this.terminal = terminal;
    this.nanos = nanos;
    this.clock = clock;
  }

  @Override
  public synchronized void progress(JsonObject p) {
    long now = nanos.getAsLong();
    if (startNanos < 0) {
      startNanos = now;
      startBytes = p.getLong("bytes", 0L);
      startDone = JobStates.done(p);
    }
    latest = p;
    show(now, false);
  }

  @Override
  public synchronized void state(String s) {
    boolean changed = !s.equals(state);
    state = s;
    show(nanos.getAsLong(), changed);
  }

  @Override
  public synchronized void tick() {
    long now = nanos.getAsLong();
    if (!terminal && now - lastLineNanos >= QUIET_LINE_EVERY_NANOS) {
      lastLine = ""; // the same line again, so a log shows the job is still being watched
      show(now, true);
    }
  }

  @Override
  public synchronized void finish() {
    if (terminal && drawnWidth > 0 && !silenced) {
      out.println();
      out.flush();
    }
    drawnWidth = 0;
  }

  @Override
  public synchronized void silence() {
    silenced = true;
  }

  private void show(long now, boolean force) {
    if (silenced || state == null) {
      return;
    }
    if (terminal) {
      String line = bar(now);
      // \r back to the start, then blanks over whatever the previous, longer line left
      out.print("\r" + line + " ".repeat(Math.max(0, drawnWidth - line.length())));
      drawnWidth = line.length();
      out.flush();
      return;
    }
    String line = plain(now);
    if (line.equals(lastLine) || (!force && now - lastLineNanos < LINE_EVERY_NANOS)) {
      return;
    }
    lastLine = line;
    lastLineNanos = now;
    out.println(TIME.format(LocalTime.now(clock)) + " " + line);
    out.flush();
  }

  /** {@code [#########...............]  45/100  1.2 MiB  340 KiB/s  ETA 12.0 s  3 failed} */
  String bar(long now) {
    long total = latest.getLong("total", 0L);
    long done = JobStates.done(latest);
    int filled = total == 0 ? 0 : (int) Math.min(BAR, done * BAR / total);
    StringBuilder b = new StringBuilder();
    b.append('[').append("#".repeat(filled)).append(".".repeat(BAR - filled)).append("] ")
        .append(done).append('/').append(total).append("  ").append(Text.bytes(latest.getLong("bytes", 0L)))
        .append("  ").append(rate(now)).append("  ").append(eta(now));
    long failed = latest.getLong("failed", 0L);
    if (failed > 0) {
      b.append("  ").append(failed).append(" failed");
    }
    long cancelled = latest.getLong("cancelled", 0L);
    if (cancelled > 0) {
      b.append("  ").append(cancelled).append(" cancelled");
    }
    long unchanged = latest.getLong("unchanged", 0L);
    if (unchanged > 0) {
      b.append("  ").append(unchanged).append(" unchanged");
    }
    if (!state.equals("running")) {
      b.append("  ").append(state);
    }
    return b.toString();
  }

  /**
   * {@code running  45/100 done (40 succeeded, 5 failed, 0 skipped)  1.2 MiB  340 KiB/s  ETA 12.0 s}; when there
   * are any, cancelled items (part of the done count, which would not add up without them) and unchanged ones
   * (a recrawl's 304s, among the succeeded) are added in the brackets.
   */
  String plain(long now) {
    long cancelled = latest.getLong("cancelled", 0L);
    long unchanged = latest.getLong("unchanged", 0L);
    return String.format(java.util.Locale.ROOT, "%-9s %d/%d done (%d succeeded, %d failed, %d skipped%s%s)  %s  %s  %s",
        state, JobStates.done(latest), latest.getLong("total", 0L), latest.getLong("succeeded", 0L),
        latest.getLong("failed", 0L), latest.getLong("skipped", 0L), cancelled > 0 ? ", " + cancelled + " cancelled" : "",
        unchanged > 0 ? ", " + unchanged + " unchanged" : "", Text.bytes(latest.getLong("bytes", 0L)), rate(now), eta(now));
  }

  private double seconds(long now) {
    return startNanos < 0 ? 0 : (now - startNanos) / 1e9;
  }

  private String rate(long now) {
    double s = seconds(now);
    if (s < 0.5) {
      return "- B/s";
    }
    return Text.bytes((long) ((latest.getLong("bytes", 0L) - startBytes) / s)) + "/s";
  }

  /** From the items finished per second since the watch began; a crawl's total grows, so its ETA is a guess. */
  private String eta(long now) {
    long total = latest.getLong("total", 0L);
    long done = JobStates.done(latest);
    if (JobStates.terminal(state) || (total > 0 && done >= total)) {
      return "ETA 0 s";
    }
    double s = seconds(now);
    double perSecond = s < 0.5 ? 0 : (done - startDone) / s;
    if (perSecond <= 0) {
      return "ETA -";
    }
    return "ETA " + Text.duration(Duration.ofSeconds((long) Math.ceil((total - done) / perSecond)));
  }
}
