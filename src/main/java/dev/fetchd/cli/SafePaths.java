package dev.fetchd.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The relative path a downloaded body is saved under, derived from its URL as {@code host[_port]/seg/.../name}.
 * A URL is whatever a target linked to, so every segment is made harmless: percent-decoded, then no
 * separators, no control or formatting characters, nothing made only of dots (no {@code ..}), no name
 * Windows reserves, a bounded length; an empty or trailing-slash path becomes {@code index.html}, and a
 * query is kept after an {@code @} so {@code ?page=2} does not overwrite {@code ?page=1}. Each segment is
 * one file name, so the result can never be absolute or climb out of the output folder.
 */
final class SafePaths {
  /** Bytes of one segment at most (file systems allow 255; room is left for a collision suffix). */
  static final int MAX_SEGMENT_BYTES = 120;
  private static final String FORBIDDEN = "/\\:*?\"<>|";
  private static final Set<String> RESERVED = Set.of("con", "prn", "aux", "nul",
      "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9",
      "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9");

  private SafePaths() {
  }

  /** The segments for a URL: the host (with its port), then the path's, the last one a file name. */
  static List<String> segments(String url) {
    String rest = url.strip();
    int scheme = rest.indexOf("://");
    if (scheme > 0 && rest.substring(0, scheme).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
      rest = rest.substring(scheme + 3);
    }
    int hash = rest.indexOf('#');
    if (hash >= 0) {
      rest = rest.substring(0, hash);
    }
    int authorityEnd = indexOfAny(rest, "/?");
    String authority = authorityEnd < 0 ? rest : rest.substring(0, authorityEnd);
    rest = authorityEnd < 0 ? "" : rest.substring(authorityEnd);
    authority = authority.substring(authority.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    String query = null;
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    List<String> out = new ArrayList<>();
    out.add(clean(authority.isEmpty() ? "_" : authority));
    List<String> path = new ArrayList<>();
    for (String s : rest.split("/")) {
      if (!s.isEmpty()) {
        path.add(decode(s));
      }
    }
    if (path.isEmpty() || rest.endsWith("/")) {
      path.add("index.html");
    }
    if (query != null && !query.isEmpty()) {
      path.set(path.size() - 1, path.get(path.size() - 1) + "@" + decode(query));
    }
    for (String s : path) {
      out.add(clean(s));
    }
    return out;
  }

  /** One harmless file name from any text. */
  static String clean(String raw) {
    StringBuilder b = new StringBuilder(raw.length());
    raw.codePoints().forEach(cp -> {
      boolean bad = cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || FORBIDDEN.indexOf(cp) >= 0
          || Character.getType(cp) == Character.FORMAT // bidi overrides and the like: a name that lies
          || Character.getType(cp) == Character.SURROGATE || cp == 0xfffd;
      b.appendCodePoint(bad ? '_' : cp);
    });
    String s = b.toString();
    if (s.isEmpty() || s.chars().allMatch(c -> c == '.')) {
      s = "_".repeat(Math.max(1, s.length())); // "." and ".." are never names here
    }
    if (s.endsWith(".") || s.endsWith(" ")) {
      s = s + "_"; // Windows drops them, which would merge names
    }
    String base = s.contains(".") ? s.substring(0, s.indexOf('.')) : s;
    if (RESERVED.contains(base.toLowerCase(Locale.ROOT))) {
      s = "_" + s;
    }
    return shorten(s);
  }

  /** A name over the limit keeps its start and extension, with a hash of the whole between, so it stays unique. */
  private static String shorten(String s) {
    if (s.getBytes(StandardCharsets.UTF_8).length <= MAX_SEGMENT_BYTES) {
      return s;
    }
    String ext = "";
    int dot = s.lastIndexOf('.');
    if (dot > 0 && s.length() - dot <= 12) {
      ext = s.substring(dot);
    }
    String hash = "~" + sha256(s).substring(0, 12);
    int budget = MAX_SEGMENT_BYTES - ext.getBytes(StandardCharsets.UTF_8).length - hash.length();
    StringBuilder head = new StringBuilder();
    int used = 0;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int n = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8).length;
      if (used + n > budget) {
        break;
      }
      head.appendCodePoint(cp);
      used += n;
      i += Character.charCount(cp);
    }
    return head + hash + ext;
  }

  /** Percent-decoding that never fails: a bad escape stays as it is; bytes that are not UTF-8 become U+FFFD. */
  static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] raw = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      if (raw[i] == '%' && i + 2 < raw.length && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
        bytes.write(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
        i += 2;
      } else {
        bytes.write(raw[i]);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static int hex(byte b) {
    return Character.digit((char) b, 16);
  }

  private static int indexOfAny(String s, String chars) {
    for (int i = 0; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return -1;
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
