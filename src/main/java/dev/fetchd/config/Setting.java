package dev.fetchd.config;

import java.util.List;
import java.util.Locale;

/**
 * One configuration key: its dotted name (as in the YAML file), its environment variable, its default and
 * its bounds. The environment name is derived: {@code fetch.maxConcurrency -> FETCHD_FETCH_MAX_CONCURRENCY}.
 */
public record Setting(String key, Kind kind, Object defaultValue, long min, long max, List<String> choices) {

  public enum Kind { INT, LONG, BOOL, STRING, CHOICE }

  static Setting integer(String key, int def, long min, long max) {
    return new Setting(key, Kind.INT, def, min, max, List.of());
  }

  static Setting longValue(String key, long def, long min, long max) {
    return new Setting(key, Kind.LONG, def, min, max, List.of());
  }

  static Setting bool(String key, boolean def) {
    return new Setting(key, Kind.BOOL, def, 0, 0, List.of());
  }

  static Setting string(String key, String def) {
    return new Setting(key, Kind.STRING, def, 0, 0, List.of());
  }

  static Setting choice(String key, String def, String... choices) {
    return new Setting(key, Kind.CHOICE, def, 0, 0, List.of(choices));
  }

  public String envName() {
    StringBuilder sb = new StringBuilder("FETCHD_");
    for (char c : key.toCharArray()) {
      if (c == '.') {
        sb.append('_');
      } else if (Character.isUpperCase(c)) {
        sb.append('_').append(c);
      } else {
        sb.append(Character.toUpperCase(c));
      }
    }
    return sb.toString().toUpperCase(Locale.ROOT);
  }

  /** Converts a raw value (from YAML or the environment) to this setting's type, or says why it can't. */
  Object parse(Object raw, String source) {
    String where = source + " (" + key + ")";
    switch (kind) {
      case BOOL -> {
        if (raw instanceof Boolean b) {
          return b;
        }
        String s = raw.toString().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
          return Boolean.parseBoolean(s);
        }
        throw new ConfigException(where + ": expected true or false, got '" + raw + "'");
      }
      case INT, LONG -> {
        long v;
        try {
          v = raw instanceof Number n ? n.longValue() : Long.parseLong(raw.toString().trim());
        } catch (NumberFormatException e) {
          throw new ConfigException(where + ": expected a whole number, got '" + raw + "'");
        }
        if (v < min || v > max) {
          throw new ConfigException(where + ": " + v + " is outside " + min + ".." + max);
        }
        return kind == Kind.INT ? (Object) (int) v : (Object) v;
      }
      case CHOICE -> {
        String s = raw.toString().trim();
        if (!choices.contains(s)) {
          throw new ConfigException(where + ": expected one of " + choices + ", got '" + raw + "'");
        }
        return s;
      }
      default -> {
        return raw.toString();
      }
    }
  }
}
