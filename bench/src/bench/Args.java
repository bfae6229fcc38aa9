package bench;

import java.util.HashMap;
import java.util.Map;

/** --key value and --flag arguments. */
final class Args {
  private final Map<String, String> values = new HashMap<>();

  Args(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + a);
      }
      String k = a.substring(2);
      int eq = k.indexOf('=');
      if (eq >= 0) {
        values.put(k.substring(0, eq), k.substring(eq + 1));
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        values.put(k, args[++i]);
      } else {
        values.put(k, "true");
      }
    }
  }

  String get(String key, String dflt) {
    return values.getOrDefault(key, dflt);
  }

  String need(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return v;
  }

  boolean flag(String key) {
    return Boolean.parseBoolean(values.getOrDefault(key, "false"));
  }
}
