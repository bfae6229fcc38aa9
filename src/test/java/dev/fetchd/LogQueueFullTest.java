package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AsyncAppender;
import org.apache.logging.log4j.core.async.AsyncQueueFullPolicyFactory;
import org.apache.logging.log4j.core.async.EventRoute;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * A log line never makes its caller (an event loop) wait: when the stream the lines go to stops taking them, the
 * bounded queue fills, and from then on lines of every level are dropped, WARN and ERROR included.
 */
class LogQueueFullTest {

  /**
   * A process with fetchd's logging configuration whose log stream is a pipe nobody reads: once the pipe and the
   * queue are full, each further line, WARN or ERROR, must be dropped rather than wait for a reader that never
   * comes. The process ends only if no log call blocked.
   */
  @ParameterizedTest(name = "FETCHD_LOG_FORMAT={0}")
  @ValueSource(strings = {"text", "json"})
  void warnAndErrorLinesAreDroppedNotWaitedForWhenTheLogStreamIsStuck(String format) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Flood.class.getName());
    pb.environment().keySet().removeIf(k -> k.startsWith("FETCHD_"));
    pb.environment().put("FETCHD_LOG_FORMAT", format);
    // text lines go to stderr, JSON lines to stdout: that stream is a pipe left unread, the other is discarded
    if (format.equals("json")) {
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    } else {
      pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    }
    Process p = pb.start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the flood of WARN and ERROR lines ended: no log call waited")
          .isTrue();
      assertThat(p.exitValue()).isZero();
    } finally {
      p.destroyForcibly();
    }
  }

  /** The configuration in effect here: the queue is bounded and its policy drops an ERROR line when full. */
  @Test
  void theQueueIsBoundedAndAFullOneDropsEveryLevel() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    assertThat(ctx.getRootLogger().getAppenders().values()).singleElement().isInstanceOf(AsyncAppender.class);
    AsyncAppender async = (AsyncAppender) ctx.getRootLogger().getAppenders().values().iterator().next();
    assertThat(async.getQueueCapacity()).isBetween(1024, 65536);
    for (Level level : new Level[] {Level.INFO, Level.WARN, Level.ERROR, Level.FATAL}) {
      assertThat(AsyncQueueFullPolicyFactory.create().getRoute(-1, level)).as("%s on a full queue", level)
          .isEqualTo(EventRoute.DISCARD);
    }
  }

  /** Logs far more WARN and ERROR lines than a pipe and the queue hold, then ends. */
  public static final class Flood {
    public static void main(String[] args) {
      org.slf4j.Logger log = LoggerFactory.getLogger("dev.fetchd.flood");
      String filler = "x".repeat(200);
      for (int i = 0; i < 50_000; i++) {
        log.warn("warn line {} {}", i, filler);
        log.error("error line {} {}", i, filler);
      }
      // the dispatcher thread is still stuck writing to the full pipe: end without waiting for it
      Runtime.getRuntime().halt(0);
    }
  }
}
