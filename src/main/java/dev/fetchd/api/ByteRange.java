package dev.fetchd.api;

/**
 * What a {@code Range} header asks of a body of {@code length} bytes (RFC 9110, section 14). Only single byte
 * ranges are served as 206; a header that is not a byte range, or is malformed, is ignored (200, the whole
 * body), as the RFC allows; so is a request for several ranges (fetchd does not build multipart/byteranges).
 *
 * @param kind  what to answer
 * @param first the first byte served (for {@link Kind#PARTIAL})
 * @param last  the last byte served, inclusive (for {@link Kind#PARTIAL})
 */
record ByteRange(Kind kind, long first, long last) {
  enum Kind { WHOLE, PARTIAL, UNSATISFIABLE }

  static final ByteRange WHOLE = new ByteRange(Kind.WHOLE, 0, -1);
  static final ByteRange UNSATISFIABLE = new ByteRange(Kind.UNSATISFIABLE, 0, -1);

  long count() {
    return last - first + 1;
  }

  static ByteRange of(String header, long length) {
    if (header == null) {
      return WHOLE;
    }
    String h = header.trim();
    int eq = h.indexOf('=');
    if (eq < 0 || !h.substring(0, eq).trim().equalsIgnoreCase("bytes")) {
      return WHOLE;
    }
    String spec = h.substring(eq + 1).trim();
    if (spec.indexOf(',') >= 0) {
      return WHOLE;
    }
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return WHOLE;
    }
    String a = spec.substring(0, dash).trim();
    String b = spec.substring(dash + 1).trim();
    if (a.isEmpty() && b.isEmpty() || !a.isEmpty() && !digits(a) || !b.isEmpty() && !digits(b)) {
      return WHOLE;
    }
    if (a.isEmpty()) {
      // suffix range: the last N bytes
      long n = parse(b);
      if (n == 0 || length == 0) {
        return UNSATISFIABLE;
      }
      return new ByteRange(Kind.PARTIAL, Math.max(0, length - n), length - 1);
    }
    long first = parse(a);
    long last = b.isEmpty() ? Long.MAX_VALUE : parse(b);
    if (last < first) {
      return WHOLE; // syntactically invalid: ignored
    }
    if (first >= length) {
      return UNSATISFIABLE;
    }
    return new ByteRange(Kind.PARTIAL, first, Math.min(last, length - 1));
  }

  private static boolean digits(String s) {
    return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  /** Digits only; beyond 18 of them the value is past any file, so it is capped. */
  private static long parse(String s) {
    return s.length() > 18 ? Long.MAX_VALUE : Long.parseLong(s);
  }
}
