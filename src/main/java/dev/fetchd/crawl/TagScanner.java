package dev.fetchd.crawl;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Set;
import org.jsoup.parser.Parser;

/**
 * Reads the start tags of an HTML page, and nothing else: the part of the WHATWG tokenizer a link extractor needs.
 * It builds no tree and keeps no text: memory is the largest attribute value of a tag it was asked for (values of
 * other tags are skipped, not kept), and CPU is one pass over the characters.
 *
 * <p>What it follows of the HTML tokenizer (section 13.2.5), so that it sees the tags a browser would: tag and
 * attribute names are lowercased; the first of duplicate attributes wins; values may be double-quoted,
 * single-quoted or unquoted; a quoted value glued to the next attribute ({@code href="a"src=b}) starts that
 * attribute; character references in values are decoded ({@code &amp;}, {@code &#x2F;}, legacy names without
 * {@code ;} as in attributes); comments ({@code <!-- -->}, {@code <!-->}), doctypes, {@code <?...>} and
 * {@code <!...>} are skipped; the contents of {@code script}, {@code style}, {@code xmp}, {@code iframe},
 * {@code noembed}, {@code noframes} (raw text) and {@code title}, {@code textarea} (RCDATA) hold no tags up to their
 * end tag; after {@code <plaintext>} nothing is markup; a tag cut by the end of input is not a tag. Not followed:
 * the tree builder (no implied or adopted elements: nesting does not matter to links) and foreign content's CDATA.
 *
 * <p>It reads bytes, not characters: markup is ASCII in every charset a page may be decoded with here (the caller
 * turns any other input into UTF-8 first, see {@link #asciiCompatible}), so only the values it keeps are decoded.
 * Decoding whole pages was a third of the time of a parse.
 *
 * <p>Blocking on its stream; not thread-safe (one per parse).
 */
final class TagScanner {

  /** A start tag: its lowercase name and attributes, valid until the handler returns. */
  interface Handler {
    void startTag(String name, Attributes attributes);
  }

  /** The attributes of one tag (names lowercase, values decoded). */
  static final class Attributes {
    private String[] names = new String[8];
    private String[] values = new String[8];
    private int size;

    /** The value of an attribute, or "" when absent (as jsoup's {@code attr}). */
    String get(String name) {
      String v = find(name);
      return v == null ? "" : v;
    }

    boolean has(String name) {
      return find(name) != null;
    }

    private String find(String name) {
      for (int i = 0; i < size; i++) {
        if (names[i].equals(name)) {
          return values[i];
        }
      }
      return null;
    }

    private void add(String name, String value) {
      if (find(name) != null) {
        return; // duplicate: the first one counts
      }
      if (size == names.length) {
        names = Arrays.copyOf(names, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      names[size] = name;
      values[size++] = value;
    }

    private void clear() {
      for (int i = 0; i < size; i++) {
        names[i] = null;
        values[i] = null;
      }
      size = 0;
    }
  }

  private static final Set<String> RAW_TEXT = Set.of("script", "style", "xmp", "iframe", "noembed", "noframes",
      "title", "textarea");
  private static final int EOF = -1;
  /**
   * Longest attribute value kept, in bytes: no URL is longer ({@link UrlNormalizer#MAX_LENGTH}), and a srcset or
   * meta content of this size is hostile. A longer value counts as absent, so what a parse holds does not grow with
   * the page.
   */
  static final int MAX_VALUE_BYTES = 64 * 1024;

  /**
   * Charsets in which every byte below 0x80 is the ASCII character and no byte of a multi-byte character is one of
   * the markup's ASCII characters ({@code <>"'=/}, space): single-byte charsets and the CJK multi-byte ones. Not
   * UTF-16/32 nor stateful ones such as ISO-2022-JP, where those bytes can be halves of other characters.
   */
  static boolean asciiCompatible(Charset c) {
    String n = c.name().toUpperCase(java.util.Locale.ROOT);
    return n.equals("UTF-8") || n.equals("US-ASCII") || n.startsWith("ISO-8859-") || n.startsWith("WINDOWS-125")
        || n.startsWith("KOI8-") || n.equals("SHIFT_JIS") || n.equals("WINDOWS-31J") || n.equals("EUC-JP")
        || n.equals("EUC-KR") || n.equals("GBK") || n.equals("GB2312") || n.equals("GB18030") || n.equals("BIG5")
        || n.equals("BIG5-HKSCS") || n.equals("TIS-620") || n.equals("X-WINDOWS-874");
  }

  private final InputStream in;
  private final Charset charset;
  private final Set<String> wanted;
  private final Handler handler;
  private final byte[] buf = new byte[16 * 1024];
  private int pos;
  private int limit;
  private final StringBuilder name = new StringBuilder(16);
  private byte[] value = new byte[256];
  private int valueLength;
  private final Attributes attributes = new Attributes();

  /**
   * @param charset an {@link #asciiCompatible} charset: what attribute values are decoded with
   * @param wanted  names of the tags whose attributes are read and handed over; other tags are skipped over
   */
  TagScanner(InputStream in, Charset charset, Set<String> wanted, Handler handler) {
    if (!asciiCompatible(charset)) {
      throw new IllegalArgumentException("not an ASCII-compatible charset: " + charset);
    }
    this.in = in;
    this.charset = charset;
    this.wanted = wanted;
    this.handler = handler;
  }

  /** Reads the whole input. */
  void run() throws IOException {
    while (true) {
      if (!skipText()) {
        return;
      }
      int c = peek();
      if (isAsciiAlpha(c)) {
        String tag = startTag();
        if (tag == null) {
          return; // input ended inside the tag
        }
        if (tag.equals("plaintext")) {
          return;
        }
        if (RAW_TEXT.contains(tag) && !skipToEndTag(tag)) {
          return;
        }
      } else if (c == '/') {
        next();
        if (isAsciiAlpha(peek())) {
          if (!endTag()) {
            return;
          }
        } else if (peek() == '>') {
          next(); // "</>": nothing
        } else if (!skipPast('>')) {
          return; // a bogus comment to the end
        }
      } else if (c == '!') {
        next();
        if (!markupDeclaration()) {
          return;
        }
      } else if (c == '?') {
        if (!skipPast('>')) {
          return;
        }
      }
      // anything else: the '<' was text
    }
  }

  /** Data state: skips text up to and including the next '<'; false at end of input. */
  private boolean skipText() throws IOException {
    while (true) {
      for (int i = pos; i < limit; i++) {
        if (buf[i] == '<') {
          pos = i + 1;
          return true;
        }
      }
      pos = limit;
      if (!fill()) {
        return false;
      }
    }
  }

  /** After "<" and a letter: reads the tag, hands it over if wanted; its lowercase name, or null at end of input. */
  private String startTag() throws IOException {
    name.setLength(0);
    int c;
    while (true) {
      c = next();
      if (c == EOF) {
        return null;
      }
      if (isSpace(c) || c == '/' || c == '>') {
        break;
      }
      name.append((char) lower(c));
    }
    String tag = name.toString();
    boolean keep = wanted.contains(tag);
    attributes.clear();
    if (c != '>' && !attributes(c, keep)) {
      return null;
    }
    if (keep) {
      handler.startTag(tag, attributes);
      attributes.clear();
    }
    return tag;
  }

  /** After "</" and a letter: skips the end tag (its attributes are parsed, so a quoted '>' does not end it). */
  private boolean endTag() throws IOException {
    int c;
    do {
      c = next();
    } while (c != EOF && !isSpace(c) && c != '/' && c != '>');
    return c != EOF && (c == '>' || attributes(c, false));
  }

  /**
   * The attributes of a tag, from the character that ended its name up to and including its '>'. False at end of
   * input. {@code keep}: collect them, else skip.
   */
  private boolean attributes(int first, boolean keep) throws IOException {
    int c = first;
    while (true) {
      // before attribute name
      while (isSpace(c) || c == '/') {
        c = next();
      }
      if (c == '>') {
        return true;
      }
      if (c == EOF) {
        return false;
      }
      // attribute name: the first character may be '=' (a parse error, but part of the name)
      name.setLength(0);
      do {
        if (keep) {
          name.append((char) lower(c));
        }
        c = next();
      } while (c != EOF && !isSpace(c) && c != '/' && c != '>' && c != '=');
      while (isSpace(c)) {
        c = next();
      }
      if (c != '=') {
        if (keep) {
          attributes.add(name.toString(), "");
        }
        continue;
      }
      c = next();
      while (isSpace(c)) {
        c = next();
      }
      valueLength = 0;
      if (c == '"' || c == '\'') {
        int quote = c;
        boolean amp = false;
        while ((c = next()) != quote) {
          if (c == EOF) {
            return false;
          }
          if (keep) {
            amp |= c == '&';
            appendValue(c);
          }
        }
        if (keep && valueLength <= MAX_VALUE_BYTES) {
          attributes.add(name.toString(), decode(amp));
        }
        c = next(); // after the value: anything but space, '/' or '>' starts the next attribute at once
      } else if (c == '>') {
        if (keep) {
          attributes.add(name.toString(), "");
        }
        return true;
      } else {
        boolean amp = false;
        while (c != EOF && !isSpace(c) && c != '>') {
          if (keep) {
            amp |= c == '&';
            appendValue(c);
          }
          c = next();
        }
        if (c == EOF) {
          return false;
        }
        if (keep && valueLength <= MAX_VALUE_BYTES) {
          attributes.add(name.toString(), decode(amp));
        }
      }
    }
  }

  private void appendValue(int b) {
    if (valueLength > MAX_VALUE_BYTES) {
      return; // too long to keep: dropped when it ends
    }
    if (valueLength == value.length) {
      value = Arrays.copyOf(value, valueLength * 2);
    }
    value[valueLength++] = (byte) b;
  }

  private String decode(boolean amp) {
    String v = new String(value, 0, valueLength, charset);
    if (v.indexOf('\0') >= 0) {
      v = v.replace('\0', '\uFFFD');
    }
    return amp ? Parser.unescapeEntities(v, true) : v;
  }

  /** After "<!": a comment, a doctype or a bogus comment. False at end of input. */
  private boolean markupDeclaration() throws IOException {
    if (peek() == '-' && peekAt(1) == '-') {
      next();
      next();
      // "<!-->" and "<!--->" end at once
      if (peek() == '>') {
        next();
        return true;
      }
      if (peek() == '-' && peekAt(1) == '>') {
        next();
        next();
        return true;
      }
      int dashes = 0;
      int c;
      while ((c = next()) != EOF) {
        if (c == '-') {
          dashes++;
        } else if (c == '>' && dashes >= 2) {
          return true;
        } else if (c == '!' && dashes >= 2 && peek() == '>') {
          next(); // "--!>"
          return true;
        } else {
          dashes = 0;
        }
      }
      return false;
    }
    return skipPast('>'); // doctype, CDATA outside foreign content, bogus comment
  }

  /** Skips the text of a raw-text or RCDATA element up to its end tag (consumed). False at end of input. */
  private boolean skipToEndTag(String tag) throws IOException {
    int c;
    while ((c = next()) != EOF) {
      if (c == '<' && peek() == '/' && endTagFollows(tag)) {
        next(); // '/'
        return endTag();
      }
    }
    return false;
  }

  /** Whether "/" + tag + (space, '/' or '>') comes next, ignoring case. */
  private boolean endTagFollows(String tag) throws IOException {
    int n = tag.length();
    for (int i = 0; i < n; i++) {
      if (lower(peekAt(i + 1)) != tag.charAt(i)) {
        return false;
      }
    }
    int after = peekAt(n + 1);
    return isSpace(after) || after == '/' || after == '>';
  }

  private boolean skipPast(char end) throws IOException {
    int c;
    while ((c = next()) != EOF) {
      if (c == end) {
        return true;
      }
    }
    return false;
  }

  // --- the character stream: a buffer with a little look-ahead -------------------------------------------------

  private int next() throws IOException {
    if (pos == limit && !fill()) {
      return EOF;
    }
    return buf[pos++] & 0xFF;
  }

  private int peek() throws IOException {
    return peekAt(0);
  }

  private int peekAt(int ahead) throws IOException {
    while (pos + ahead >= limit) {
      if (!fill()) {
        return EOF;
      }
    }
    return buf[pos + ahead] & 0xFF;
  }

  /** Reads more, keeping what is not consumed yet; false at end of input. */
  private boolean fill() throws IOException {
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, limit - pos);
      limit -= pos;
      pos = 0;
    }
    if (limit == buf.length) {
      return false; // look-ahead never needs a whole buffer
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n <= 0) {
      return false;
    }
    limit += n;
    return true;
  }

  private static boolean isSpace(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  }

  private static boolean isAsciiAlpha(int c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
  }

  private static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
  }
}
