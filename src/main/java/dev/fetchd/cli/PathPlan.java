package dev.fetchd.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Hands out one path per item so that no two items share a file, and no file stands where another item
 * needs a folder. Items claim in order of index; a later item whose path is taken gets its index as a
 * suffix ({@code a.html} -> {@code a~7.html}, or the folder in the way: {@code a/b} -> {@code a~7/b}).
 * Paths are compared ignoring case, so the plan holds on case-insensitive file systems too. For a finished
 * job the same items come in the same order, so every run of {@code get} plans the same paths.
 */
final class PathPlan {
  private final Set<String> files = new HashSet<>();
  private final Set<String> dirs = new HashSet<>();

  List<String> claim(long index, List<String> wanted) {
    List<String> s = new ArrayList<>(wanted);
    for (int attempt = 0; ; attempt++) {
      int clash = clash(s);
      if (clash < 0) {
        break;
      }
      String suffix = "~" + index + (attempt == 0 ? "" : "-" + attempt);
      String original = wanted.get(clash);
      s.set(clash, clash == s.size() - 1 ? beforeExtension(original, suffix) : original + suffix);
    }
    for (int k = 1; k < s.size(); k++) {
      dirs.add(key(s, k));
    }
    files.add(key(s, s.size()));
    return s;
  }

  /** The position of the segment to change: an ancestor that is a file, or the last when the path is taken. */
  private int clash(List<String> s) {
    for (int k = 1; k < s.size(); k++) {
      if (files.contains(key(s, k))) {
        return k - 1;
      }
    }
    String whole = key(s, s.size());
    return files.contains(whole) || dirs.contains(whole) ? s.size() - 1 : -1;
  }

  private static String key(List<String> s, int n) {
    return String.join("/", s.subList(0, n)).toLowerCase(Locale.ROOT);
  }

  private static String beforeExtension(String name, String suffix) {
    int dot = name.lastIndexOf('.');
    if (dot <= 0 || name.length() - dot > 12 || name.indexOf('@', dot) >= 0) {
      return name + suffix;
    }
    return name.substring(0, dot) + suffix + name.substring(dot);
  }
}
