package dev.fetchd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressRendererTest {
  private static final long SECOND = 1_000_000_000L;

  private static JsonObject progress(long total, long succeeded, long failed, long bytes) {
    return new JsonObject().put("total", total).put("queued", total - succeeded - failed).put("running", 0)
        .put("succeeded", succeeded).put("failed", failed).put("skipped", 0).put("cancelled", 0).put("bytes", bytes);
  }

  @Test
  void plainLinesComeOnStateChangesAndAtMostOnceASecond() {
    StringWriter text = new StringWriter();
    AtomicLong now = new AtomicLong(100 * SECOND);
    ProgressRenderer r = new ProgressRenderer(new PrintWriter(text, true), false, now::get);
    r.progress(progress(100, 0, 0, 0));
    assertThat(text.toString()).as("nothing before the state is known").isEmpty();
    r.state("running");
    r.progress(progress(100, 10, 0, 1000));
    now.addAndGet(SECOND / 2);
    r.progress(progress(100, 20, 0, 2000));
    assertThat(text.toString().lines()).hasSize(1);
    now.addAndGet(SECOND);
    r.progress(progress(100, 40, 10, 4096));
    assertThat(text.toString().lines()).hasSize(2);
    assertThat(text.toString().lines().toList().get(1))
        .matches("\\d\\d:\\d\\d:\\d\\d running   50/100 done \\(40 succeeded, 10 failed, 0 skipped\\)  4\\.0 KiB  2\\.7 KiB/s  ETA 2\\.0 s");
    r.state("completed");
    assertThat(text.toString().lines().toList().get(2)).contains("completed", "ETA 0 s");
    assertThat(text.toString()).doesNotContain("\r");
  }

  @Test
  void aTerminalGetsOneBarRedrawnInPlace() {
    StringWriter text = new StringWriter();
    AtomicLong now = new AtomicLong(0);
    ProgressRenderer r = new ProgressRenderer(new PrintWriter(text, true), true, now::get);
    r.progress(progress(8, 0, 0, 0));
    r.state("running");
    now.addAndGet(2 * SECOND);
    r.progress(progress(8, 3, 1, 2 * 1024 * 1024));
    assertThat(text.toString()).endsWith("\r[############............] 4/8  2.0 MiB  1.0 MiB/s  ETA 2.0 s  1 failed");
    r.finish();
    assertThat(text.toString()).endsWith("\n").doesNotContain("\n\r");
  }

  @Test
  void aRecrawlShowsItsUnchangedItems() {
    StringWriter text = new StringWriter();
    AtomicLong now = new AtomicLong(0);
    ProgressRenderer plain = new ProgressRenderer(new PrintWriter(text, true), false, now::get);
    plain.state("running");
    now.addAndGet(2 * SECOND);
    plain.progress(progress(10, 6, 0, 1024).put("unchanged", 5));
    assertThat(text.toString()).contains("(6 succeeded, 0 failed, 0 skipped, 5 unchanged)");
    StringWriter bar = new StringWriter();
    ProgressRenderer tty = new ProgressRenderer(new PrintWriter(bar, true), true, now::get);
    tty.state("running");
    now.addAndGet(2 * SECOND);
    tty.progress(progress(10, 6, 0, 1024).put("unchanged", 5));
    assertThat(bar.toString()).contains("5 unchanged");
    assertThat(JobStates.counts(progress(10, 10, 0, 1024).put("unchanged", 9)))
        .isEqualTo("10 items: 10 succeeded, 0 failed, 0 skipped (9 unchanged); 1.0 KiB");
    assertThat(JobStates.counts(progress(1, 1, 0, 10))).startsWith("1 item: 1 succeeded");
  }

  @Test
  void aLineAtZeroSecondsStillShowsThem() {
    StringWriter text = new StringWriter();
    Clock atMinute = Clock.fixed(Instant.parse("2025-01-01T07:51:00Z"), ZoneOffset.UTC);
    ProgressRenderer r = new ProgressRenderer(new PrintWriter(text, true), false, () -> 0L, atMinute);
    r.state("running");
    assertThat(text.toString()).startsWith("07:51:00 running ");
  }

  @Test
  void cancelledItemsAreCountedSoTheNumbersAddUp() {
    StringWriter text = new StringWriter();
    AtomicLong now = new AtomicLong(0);
    ProgressRenderer plain = new ProgressRenderer(new PrintWriter(text, true), false, now::get);
    plain.progress(progress(3, 1, 0, 10).put("queued", 0).put("cancelled", 2));
    plain.state("cancelled");
    assertThat(text.toString()).contains("cancelled 3/3 done (1 succeeded, 0 failed, 0 skipped, 2 cancelled)");
    StringWriter bar = new StringWriter();
    ProgressRenderer tty = new ProgressRenderer(new PrintWriter(bar, true), true, now::get);
    tty.progress(progress(3, 1, 0, 10).put("queued", 0).put("cancelled", 2));
    tty.state("cancelled");
    assertThat(bar.toString()).contains("3/3", "2 cancelled");
  }
}
