package dev.fetchd.api;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * {@code Content-Disposition: attachment} for a stored body, named after the last path segment of the URL it
 * came from (RFC 6266). The name is whatever a site put in its URL, so it is cleaned before it reaches a
 * user's disk: no slashes or backslashes (no path), no control characters, no quotes. {@code filename} is an
 * ASCII fallback (other characters become {@code _}); {@code filename*} carries the UTF-8 name when it has
 * characters outside ASCII (or a {@code %}, which the fallback avoids: some agents decode it).
 */
final class ContentDisposition {
  static final int MAX_NAME = 200;

  private ContentDisposition() {
  }

  /** The header value for a body fetched from {@code url}; {@code fallback} when the URL names no file. */
  static String attachment(String url, String fallback) {
    String name = clean(lastSegment(url));
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      name = fallback;
    }
    StringBuilder ascii = new StringBuilder(name.length());
    boolean plain = true;
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c >= 0x20 && c < 0x7f && c != '%';
      plain &= c < 0x80 && c != '%';
      ascii.append(ok ? c : '_');
    }
    String header = "attachment; filename=\"" + ascii + "\"";
    return plain ? header : header + "; filename*=UTF-8''" + encode(name);
  }

  /** The last non-empty path segment, percent-decoded as UTF-8; "" if there is none. */
  static String lastSegment(String url) {
    if (url == null) {
      return "";
    }
    String path;
    try {
      path = URI.create(url).getRawPath();
    } catch (IllegalArgumentException e) {
      // not a strict URI (a browser-style URL): cut query and fragment by hand
      String u = url.replaceFirst("^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*", "");
      path = u.replaceFirst("[?#].*$", "");
    }
    if (path == null) {
      return "";
    }
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String raw = path.substring(path.lastIndexOf('/') + 1);
    return decode(raw);
  }

  /** Drops what has no place in a file name: path separators, control characters, quotes. */
  static String clean(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    name.codePoints().forEach(cp -> {
      if (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0) && cp != '/' && cp != '\\' && cp != '"'
          && cp != '\'' && cp != 0x2028 && cp != 0x2029) {
        sb.appendCodePoint(cp);
      }
    });
    String s = sb.toString().strip();
    if (s.length() > MAX_NAME) {
      int cut = Character.isLowSurrogate(s.charAt(MAX_NAME)) ? MAX_NAME - 1 : MAX_NAME;
      s = s.substring(0, cut);
    }
    return s;
  }

  /** Percent-decodes UTF-8; a bad escape is kept as it is ("%zz"), never an error. */
  private static String decode(String raw) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); ) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length() && hex(raw.charAt(i + 1)) >= 0 && hex(raw.charAt(i + 2)) >= 0) {
        out.write(hex(raw.charAt(i + 1)) * 16 + hex(raw.charAt(i + 2)));
        i += 3;
      } else {
        // a raw character (non-ASCII ones too): kept, as UTF-8
        int cp = raw.codePointAt(i);
        out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(cp);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }

  /** RFC 8187 value characters: attr-char kept, every other UTF-8 byte as %XX. */
  private static String encode(String name) {
    StringBuilder sb = new StringBuilder();
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$&+-.^_`|~".indexOf(c) >= 0) {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }
}
