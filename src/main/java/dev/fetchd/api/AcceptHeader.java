package dev.fetchd.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An {@code Accept} header (RFC 9110 section 12.5.1) read well enough to choose between a few media types: each
 * media range with its {@code q}; a type's quality is that of the most specific range that matches it.
 */
final class AcceptHeader {
  private record Range(String type, String subtype, double q) {
    /** 3: the type and subtype named; 2: the type, any subtype; 1: any type; 0: no match. */
    int specificity(String t, String s) {
      if (type.equals("*")) {
        return subtype.equals("*") ? 1 : 0;
      }
      if (!type.equals(t)) {
        return 0;
      }
      return subtype.equals(s) ? 3 : subtype.equals("*") ? 2 : 0;
    }
  }

  private final List<Range> ranges;

  private AcceptHeader(List<Range> ranges) {
    this.ranges = ranges;
  }

  /** The header's ranges; a range that is not type/subtype or whose q is not a number is left out. */
  static AcceptHeader parse(String header) {
    List<Range> ranges = new ArrayList<>();
    if (header != null) {
      for (String part : header.split(",")) {
        String[] fields = part.split(";");
        String[] mediaType = fields[0].trim().toLowerCase(Locale.ROOT).split("/", -1);
        Double q = 1.0;
        for (int i = 1; i < fields.length && q != null; i++) {
          String[] param = fields[i].split("=", 2);
          if (param.length == 2 && param[0].trim().equalsIgnoreCase("q")) {
            q = qvalue(param[1].trim());
          }
        }
        if (mediaType.length == 2 && !mediaType[0].isEmpty() && !mediaType[1].isEmpty() && q != null) {
          ranges.add(new Range(mediaType[0], mediaType[1], q));
        }
      }
    }
    return new AcceptHeader(ranges);
  }

  private static Double qvalue(String s) {
    try {
      double q = Double.parseDouble(s);
      return q >= 0 && q <= 1 ? q : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * How acceptable {@code mediaType} ({@code type/subtype}, lowercase) is: the q of the most specific matching
   * range, the highest if several are as specific (the same type with different parameters); 0 if none matches.
   */
  double quality(String mediaType) {
    String[] ts = mediaType.split("/", 2);
    int best = 0;
    double q = 0;
    for (Range r : ranges) {
      int s = r.specificity(ts[0], ts[1]);
      if (s > best) {
        best = s;
        q = r.q();
      } else if (s == best && s > 0) {
        q = Math.max(q, r.q());
      }
    }
    return q;
  }

  /** Whether a range names {@code mediaType} itself (not through a wildcard). */
  boolean names(String mediaType) {
    String[] ts = mediaType.split("/", 2);
    return ranges.stream().anyMatch(r -> r.specificity(ts[0], ts[1]) == 3);
  }
}
