package dev.fetchd.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Small formatting helpers for terminal output. */
final class Text {
  private Text() {
  }

  /** One line of printable text: control characters (a hostile URL or message could carry escapes) become spaces. */
  static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? ' ' : c);
    }
    return b.toString();
  }

  static String truncate(String s, int max) {
    String t = oneLine(s);
    return t.length() <= max ? t : t.substring(0, Math.max(0, max - 3)) + "...";
  }

  /** Bytes for people: 999 B, 1.2 KiB, 3.4 MiB, 5.6 GiB. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
  }

  /** A duration for people: 850 ms, 12.3 s, 4m05s, 2h03m. */
  static String duration(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  static Instant instant(String iso) {
    if (iso == null) {
      return null;
    }
    try {
      return Instant.parse(iso);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** An RFC 3339 time shortened to the second, or "-". */
  static String time(String iso) {
    Instant t = instant(iso);
    return t == null ? "-" : t.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
  }

  static String pad(String s, int width) {
    String t = oneLine(s);
    return t.length() >= width ? t : t + " ".repeat(width - t.length());
  }

  static String padLeft(String s, int width) {
    String t = oneLine(s);
    return t.length() >= width ? t : " ".repeat(width - t.length()) + t;
  }
}
