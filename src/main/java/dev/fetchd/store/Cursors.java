package dev.fetchd.store;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Opaque pagination cursors: a position, base64url-encoded so clients do not build them. */
public final class Cursors {
  private Cursors() {
  }

  public static String encode(String kind, long position) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((kind + ":" + position).getBytes(StandardCharsets.UTF_8));
  }

  /** The position in a cursor of {@code kind}; IllegalArgumentException for anything else. */
  public static long decode(String kind, String cursor) {
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (!s.startsWith(kind + ":")) {
        throw new IllegalArgumentException("not a " + kind + " cursor");
      }
      return Long.parseLong(s.substring(kind.length() + 1));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("invalid cursor", e);
    }
  }
}
