package dev.fetchd.testkit;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * Everything logged in this JVM while it is open, at the levels the service's configuration lets through: each
 * event's logger, message, key-value pairs and exception text (stack trace included), one string per event.
 */
public final class LogCapture implements AutoCloseable {
  private final Collector collector;

  private LogCapture(Collector collector) {
    this.collector = collector;
  }

  public static LogCapture start() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    Collector c = new Collector("capture-" + UUID.randomUUID());
    c.start();
    ctx.getConfiguration().getRootLogger().addAppender(c, Level.ALL, null);
    ctx.updateLoggers();
    return new LogCapture(c);
  }

  /** The events so far, as text. */
  public List<String> lines() {
    synchronized (collector.lines) {
      return new ArrayList<>(collector.lines);
    }
  }

  public String text() {
    return String.join("\n", lines());
  }

  @Override
  public void close() {
    LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
    ctx.getConfiguration().getRootLogger().removeAppender(collector.getName());
    ctx.updateLoggers();
    collector.stop();
  }

  private static final class Collector extends AbstractAppender {
    final List<String> lines = new ArrayList<>();

    Collector(String name) {
      super(name, null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
      StringBuilder sb = new StringBuilder().append(event.getLevel()).append(' ').append(event.getLoggerName())
          .append(" - ").append(event.getMessage().getFormattedMessage());
      event.getContextData().forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
      if (event.getThrown() != null) {
        StringWriter w = new StringWriter();
        event.getThrown().printStackTrace(new PrintWriter(w));
        sb.append('\n').append(w);
      }
      synchronized (lines) {
        lines.add(sb.toString());
      }
    }
  }
}
