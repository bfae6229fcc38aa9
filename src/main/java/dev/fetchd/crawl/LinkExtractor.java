package dev.fetchd.crawl;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the links and assets of an HTML page.
 *
 * <p><b>Blocking and CPU-bound: run it on a worker</b> ({@link PageParser} does, within its memory budget), never on
 * the event loop. It reads the page's start tags with a {@link TagScanner} (the HTML tokenizer, without jsoup's tree
 * builder: a link extractor needs tags and attributes, not a document), so it holds no DOM and no text: its peak
 * heap is the largest attribute value of a link element plus the URLs it keeps ({@link #linkBytes}), and nesting
 * costs nothing. Stateless and thread-safe: calls may run in parallel. A stream is read up to a byte limit (and
 * {@code truncated} set if there was more). It cannot be interrupted: a cancelled job just drops the result.
 *
 * <p>What counts:
 * <ul>
 *   <li>HTML is {@code text/html} or {@code application/xhtml+xml} (parameters ignored). Any other content type gives
 *       {@link ExtractedLinks#NOT_HTML}. Only when the content type is missing (null or blank) is the body sniffed
 *       (WHATWG MIME sniffing: after optional BOM and whitespace, {@code <!DOCTYPE html}, {@code <html}, {@code <head},
 *       {@code <body}, {@code <script}, {@code <p}, {@code <!--}...).</li>
 *   <li>Charset: a byte order mark, else the {@code charset} of the Content-Type if Java knows it, else (as jsoup)
 *       {@code <meta charset>} / {@code http-equiv}, else UTF-8).</li>
 *   <li>URLs are resolved against the first {@code <base href>} (itself resolved against the page URL), else against
 *       the page URL, which must be the page's final URL after redirects; then normalised ({@link UrlNormalizer});
 *       anything that is not http(s) ({@code mailto:}, {@code javascript:}, {@code data:}) is dropped.</li>
 *   <li>Page links: {@code a[href]} and {@code area[href]} without {@code rel=nofollow} (a token of rel,
 *       case-insensitive), {@code iframe[src]}, {@code frame[src]}, and the URL of a
 *       {@code <meta http-equiv=refresh content="0; url=...">}.</li>
 *   <li>{@code <meta name=robots content=nofollow>} (or {@code none}): no page links at all. Assets are still listed:
 *       nofollow is about following links to other pages; the assets are part of the page itself, as a browser
 *       showing it would load them.</li>
 *   <li>Assets, images first: {@code img[src]}, {@code img[srcset]} (every candidate), {@code img[data-src]} and
 *       {@code img[data-srcset]} (lazy loading), {@code source[srcset]} (in {@code picture}),
 *       {@code input[type=image][src]}, {@code video[poster]}, {@code link[rel~=icon|apple-touch-icon|
 *       apple-touch-icon-precomposed|mask-icon][href]}; then media: {@code video[src]}, {@code audio[src]},
 *       {@code source[src]} (in video/audio), {@code track[src]}. Stylesheets, scripts and fonts are not assets here:
 *       "assets" means the content a user would want from a site (images and media), not the page's code.</li>
 *   <li>Each list is deduplicated and capped at {@code maxLinks} distinct URLs, in document order.</li>
 * </ul>
 */
public final class LinkExtractor {

  /** Bodies given without a limit of their own are parsed up to this many bytes (8 MiB). */
  public static final int MAX_PARSE_BYTES = 8 * 1024 * 1024;

  /** Heap per kept URL beyond its characters: the String, its set entry, list slots of the result. */
  static final int URL_OVERHEAD_BYTES = 160;
  /** The average heap a slot of a link list may take (a URL of ~350 characters). */
  static final int LINK_BYTES_PER_SLOT = 512;
  /** Sniffing and the charset prescan look this far (jsoup looks at the first 5 KB too). */
  private static final int PRESCAN_BYTES = 5 * 1024;

  private LinkExtractor() {
  }

  /** Extracts from a body in memory. */
  public static ExtractedLinks extract(byte[] body, String contentType, String pageUrl, int maxLinks) {
    try {
      return extract(new ByteArrayInputStream(body), contentType, pageUrl, maxLinks, MAX_PARSE_BYTES,
          linkBytes(Math.min(body.length, MAX_PARSE_BYTES), maxLinks));
    } catch (IOException e) {
      throw new IllegalStateException("cannot happen on a byte array", e);
    }
  }

  /** Extracts from a stored body (the fetched file). */
  public static ExtractedLinks extract(Path file, String contentType, String pageUrl, int maxLinks)
      throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return extract(in, contentType, pageUrl, maxLinks, MAX_PARSE_BYTES,
          linkBytes(Math.min(Files.size(file), MAX_PARSE_BYTES), maxLinks));
    }
  }

  /** Extracts from a stream (read up to {@link #MAX_PARSE_BYTES}; not closed here). */
  public static ExtractedLinks extract(InputStream body, String contentType, String pageUrl, int maxLinks)
      throws IOException {
    return extract(body, contentType, pageUrl, maxLinks, MAX_PARSE_BYTES, linkBytes(MAX_PARSE_BYTES, maxLinks));
  }

  /**
   * Extracts from a stream, reading at most {@code maxBytes} of it (not closed here); the URLs kept hold at most
   * {@code linkBytes} of heap (see {@link #linkBytes}), beyond which the lists are cut and {@code truncated} set.
   */
  public static ExtractedLinks extract(InputStream body, String contentType, String pageUrl, int maxLinks,
                                       long maxBytes, long linkBytes) throws IOException {
    boolean typeMissing = contentType == null || contentType.isBlank();
    if (!typeMissing && !isHtml(contentType)) {
      return ExtractedLinks.NOT_HTML;
    }
    NormalizedUrl page = UrlNormalizer.parse(pageUrl);
    if (page == null) {
      return ExtractedLinks.NOT_HTML;
    }
    BufferedInputStream in = new BufferedInputStream(body, 64 * 1024);
    in.mark(PRESCAN_BYTES);
    byte[] head = in.readNBytes(PRESCAN_BYTES);
    in.reset();
    if (typeMissing && !sniffsAsHtml(head)) {
      return ExtractedLinks.NOT_HTML;
    }
    int bom = bomLength(head);
    if (bom > 0) {
      in.skipNBytes(bom);
    }
    Charset charset = charsetOf(head, contentType);
    LimitedInputStream limited = new LimitedInputStream(in, Math.max(0, maxBytes - bom));
    Walk walk = new Walk(page, Math.max(0, maxLinks), linkBytes);
    if (TagScanner.asciiCompatible(charset)) {
      new TagScanner(limited, charset, INTERESTING, walk::visit).run();
    } else {
      new TagScanner(new Utf8Stream(new InputStreamReader(limited, charset)), StandardCharsets.UTF_8, INTERESTING,
          walk::visit).run();
    }
    return walk.result(limited.hitLimit());
  }

  /** Elements the walk reads. */
  private static final Set<String> INTERESTING = Set.of("base", "a", "area", "iframe", "frame", "meta", "img",
      "source", "input", "link", "video", "audio", "track");
  /**
   * The heap the URLs found on a page of {@code pageBytes} may hold: each kept URL costs its length plus
   * {@link #URL_OVERHEAD_BYTES}; at most {@link #LINK_BYTES_PER_SLOT} per slot of the three lists (pages, images,
   * media), and at most 16 bytes per byte of page (a short relative link resolved against a long base grows).
   * A bound, not an estimate: a page that would hold more gets its lists cut instead.
   */
  public static long linkBytes(long pageBytes, int maxLinks) {
    long slots = 3L * Math.max(0, maxLinks) * LINK_BYTES_PER_SLOT;
    return Math.min(slots, Math.max(64 * 1024, 16 * pageBytes));
  }

  /** Whether a Content-Type names HTML: {@code text/html} or {@code application/xhtml+xml}. */
  public static boolean isHtml(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = mediaType(contentType);
    return type.equals("text/html") || type.equals("application/xhtml+xml");
  }

  // ---------------------------------------------------------------------------------------------------------------

  /**
   * What a parse has found so far, fed one completed element at a time (children before their parents). The first
   * {@code <base href>} sets the base of the URLs that follow it: in a real page it sits in the head, before any
   * link.
   */
  private static final class Walk {
    final NormalizedUrl page;
    final int maxLinks;
    final long[] linkBytesLeft;
    final Collector pages;
    final Collector images;
    final Collector media;
    boolean baseSeen;
    boolean nofollow;
    boolean noindex;

    Walk(NormalizedUrl page, int maxLinks, long linkBytes) {
      this.page = page;
      this.maxLinks = maxLinks;
      this.linkBytesLeft = new long[] {linkBytes};
      pages = new Collector(page, maxLinks, linkBytesLeft);
      images = new Collector(page, maxLinks, linkBytesLeft);
      media = new Collector(page, maxLinks, linkBytesLeft);
    }

    /** A start tag, in document order. */
    void visit(String tag, TagScanner.Attributes e) {
      switch (tag) {
        case "base":
          if (!baseSeen && e.has("href")) {
            baseSeen = true;
            String b = UrlNormalizer.resolve(page, e.get("href"));
            NormalizedUrl parsed = b == null ? null : UrlNormalizer.parse(b);
            if (parsed != null) {
              pages.base = parsed;
              images.base = parsed;
              media.base = parsed;
            }
          }
          break;
        case "a":
        case "area":
          if (e.has("href") && !hasToken(e.get("rel"), "nofollow")) {
            pages.add(e.get("href"));
          }
          break;
        case "iframe":
        case "frame":
          pages.addAttr(e, "src");
          break;
        case "meta":
          if (e.get("name").trim().equalsIgnoreCase("robots")) {
            String content = e.get("content");
            boolean none = hasToken(content, "none", true);
            nofollow |= none || hasToken(content, "nofollow", true);
            noindex |= none || hasToken(content, "noindex", true);
          } else if (e.get("http-equiv").trim().equalsIgnoreCase("refresh")) {
            String target = refreshUrl(e.get("content"));
            if (target != null) {
              pages.add(target);
            }
          }
          break;
        case "img":
          images.addAttr(e, "src");
          images.addSrcset(e.get("srcset"));
          images.addAttr(e, "data-src");
          images.addSrcset(e.get("data-srcset"));
          break;
        case "source":
          images.addSrcset(e.get("srcset"));
          media.addAttr(e, "src");
          break;
        case "input":
          if (e.get("type").trim().equalsIgnoreCase("image")) {
            images.addAttr(e, "src");
          }
          break;
        case "link":
          if (isIconRel(e.get("rel"))) {
            images.addAttr(e, "href");
          }
          break;
        case "video":
          images.addAttr(e, "poster");
          media.addAttr(e, "src");
          break;
        case "audio":
        case "track":
          media.addAttr(e, "src");
          break;
        default:
          break;
      }
    }

    ExtractedLinks result(boolean cut) {
      LinkedHashSet<String> assets = new LinkedHashSet<>(images.urls);
      boolean assetsCut = images.truncated || media.truncated;
      for (String m : media.urls) {
        if (assets.size() >= maxLinks) {
          if (!assets.contains(m)) {
            assetsCut = true;
          }
          continue;
        }
        assets.add(m);
      }
      boolean pagesCut = pages.truncated && !nofollow;
      return new ExtractedLinks(nofollow ? List.of() : List.copyOf(pages.urls),
          List.copyOf(assets), true, nofollow, noindex, cut || pagesCut || assetsCut);
    }
  }

  /** Deduplicating list of resolved URLs, capped in count and, with its siblings, in the heap its URLs hold. */
  private static final class Collector {
    NormalizedUrl base;
    final int max;
    final long[] bytesLeft;
    final Set<String> urls = new LinkedHashSet<>();
    boolean truncated;

    Collector(NormalizedUrl base, int max, long[] bytesLeft) {
      this.base = base;
      this.max = max;
      this.bytesLeft = bytesLeft;
    }

    void addAttr(TagScanner.Attributes e, String attr) {
      if (e.has(attr)) {
        add(e.get(attr));
      }
    }

    void add(String raw) {
      if (raw == null || raw.isBlank() || truncated && urls.size() >= max) {
        return; // full, and known to be cut: resolving more changes nothing
      }
      String url = UrlNormalizer.resolve(base, raw);
      if (url == null) {
        return;
      }
      long cost = url.length() + URL_OVERHEAD_BYTES;
      if (urls.size() >= max || cost > bytesLeft[0]) {
        if (!urls.contains(url)) {
          truncated = true;
        }
        return;
      }
      if (urls.add(url)) {
        bytesLeft[0] -= cost;
      }
    }

    void addSrcset(String srcset) {
      if (srcset == null || srcset.isBlank()) {
        return;
      }
      srcsetUrls(srcset, this::add);
    }
  }

  /**
   * The URLs of a srcset attribute, per the HTML spec's parsing algorithm: a URL is a run of non-whitespace (trailing
   * commas removed); its descriptors run to the next comma outside parentheses.
   */
  static List<String> srcsetUrls(String s) {
    List<String> out = new ArrayList<>();
    srcsetUrls(s, out::add);
    return out;
  }

  /** As {@link #srcsetUrls(String)}, one URL at a time: a huge srcset is never held as a list. */
  static void srcsetUrls(String s, Consumer<String> out) {
    int n = s.length();
    int i = 0;
    while (true) {
      while (i < n && (isSpace(s.charAt(i)) || s.charAt(i) == ',')) {
        i++;
      }
      if (i >= n) {
        return;
      }
      int start = i;
      while (i < n && !isSpace(s.charAt(i))) {
        i++;
      }
      String url = s.substring(start, i);
      if (url.endsWith(",")) {
        int end = url.length();
        while (end > 0 && url.charAt(end - 1) == ',') {
          end--;
        }
        url = url.substring(0, end);
      } else {
        int depth = 0;
        while (i < n) {
          char c = s.charAt(i);
          if (c == '(') {
            depth++;
          } else if (c == ')' && depth > 0) {
            depth--;
          } else if (c == ',' && depth == 0) {
            break;
          }
          i++;
        }
      }
      if (!url.isEmpty()) {
        out.accept(url);
      }
    }
  }

  /** The URL of a meta refresh content ({@code "5; url='/next'"}, {@code "0;URL=/x"}, {@code "0, /x"}), or null. */
  static String refreshUrl(String content) {
    String s = content.trim();
    int i = 0;
    while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
      i++;
    }
    if (i == 0) {
      return null;
    }
    while (i < s.length() && isSpace(s.charAt(i))) {
      i++;
    }
    if (i < s.length() && (s.charAt(i) == ';' || s.charAt(i) == ',')) {
      i++;
    }
    while (i < s.length() && isSpace(s.charAt(i))) {
      i++;
    }
    String rest = s.substring(i);
    if (rest.regionMatches(true, 0, "url", 0, 3)) {
      int j = 3;
      while (j < rest.length() && isSpace(rest.charAt(j))) {
        j++;
      }
      if (j < rest.length() && rest.charAt(j) == '=') {
        rest = rest.substring(j + 1).trim();
      }
    }
    if (!rest.isEmpty() && (rest.charAt(0) == '\'' || rest.charAt(0) == '"')) {
      char quote = rest.charAt(0);
      int close = rest.indexOf(quote, 1);
      rest = close < 0 ? rest.substring(1) : rest.substring(1, close);
    }
    rest = rest.trim();
    return rest.isEmpty() ? null : rest;
  }

  private static boolean isIconRel(String rel) {
    return hasToken(rel, "icon") || hasToken(rel, "apple-touch-icon")
        || hasToken(rel, "apple-touch-icon-precomposed") || hasToken(rel, "mask-icon");
  }

  private static boolean hasToken(String list, String token) {
    return hasToken(list, token, false);
  }

  /**
   * Whether a list separated by whitespace (and commas, if {@code commas}) holds a token, ignoring case. Scans in
   * place: an attribute of megabytes is never split into an array of its words.
   */
  static boolean hasToken(String list, String token, boolean commas) {
    if (list == null) {
      return false;
    }
    int n = list.length();
    int i = 0;
    while (i < n) {
      while (i < n && (isSpace(list.charAt(i)) || commas && list.charAt(i) == ',')) {
        i++;
      }
      int start = i;
      while (i < n && !isSpace(list.charAt(i)) && !(commas && list.charAt(i) == ',')) {
        i++;
      }
      if (i - start == token.length() && list.regionMatches(true, start, token, 0, token.length())) {
        return true;
      }
    }
    return false;
  }

  private static String mediaType(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi >= 0 ? contentType.substring(0, semi) : contentType).trim().toLowerCase(Locale.ROOT);
  }

  /** The charset parameter of a Content-Type if Java supports it, else null (jsoup then detects it). */
  static String charsetOf(String contentType) {
    if (contentType == null) {
      return null;
    }
    for (String param : contentType.split(";")) {
      String p = param.trim();
      if (p.regionMatches(true, 0, "charset=", 0, 8)) {
        String name = p.substring(8).trim();
        if (name.length() >= 2 && (name.startsWith("\"") && name.endsWith("\"")
            || name.startsWith("'") && name.endsWith("'"))) {
          name = name.substring(1, name.length() - 1);
        }
        try {
          return Charset.isSupported(name) ? Charset.forName(name).name() : null;
        } catch (IllegalArgumentException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** Length of a UTF-8 or UTF-16 byte order mark at the start, or 0. */
  static int bomLength(byte[] head) {
    if (head.length >= 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF) {
      return 3;
    }
    if (head.length >= 2 && ((head[0] & 0xFF) == 0xFE && (head[1] & 0xFF) == 0xFF
        || (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xFE)) {
      return 2;
    }
    return 0;
  }

  private static final Pattern XML_ENCODING =
      Pattern.compile("^\\s*<\\?xml[^>]*?encoding\\s*=\\s*[\"']([A-Za-z0-9._:-]+)");

  /**
   * The charset of a body, as jsoup chose it when it parsed whole documents: a byte order mark; else the
   * {@code charset} of the Content-Type if Java knows it; else a {@code <meta charset>} or {@code http-equiv} (or
   * an XML declaration) in the first 5 KB; else UTF-8. A declared UTF-16 or UTF-32 without a BOM cannot be true of
   * a page whose head reads as ASCII: UTF-8 then.
   */
  static Charset charsetOf(byte[] head, String contentType) {
    if (bomLength(head) == 3) {
      return StandardCharsets.UTF_8;
    }
    if (bomLength(head) == 2) {
      return (head[0] & 0xFF) == 0xFE ? StandardCharsets.UTF_16BE : StandardCharsets.UTF_16LE;
    }
    String declared = charsetOf(contentType);
    if (declared != null) {
      return Charset.forName(declared);
    }
    String prefix = new String(head, StandardCharsets.ISO_8859_1);
    String found = null;
    Matcher xml = XML_ENCODING.matcher(prefix);
    if (xml.find()) {
      found = xml.group(1);
    }
    if (found == null) {
      found = metaCharset(head);
    }
    try {
      if (found != null && Charset.isSupported(found.trim())) {
        Charset c = Charset.forName(found.trim());
        return c.name().startsWith("UTF-16") || c.name().startsWith("UTF-32") ? StandardCharsets.UTF_8 : c;
      }
    } catch (IllegalArgumentException e) {
      // an illegal name: as if none was given
    }
    return StandardCharsets.UTF_8;
  }

  /** The charset a {@code <meta charset>} or {@code <meta http-equiv=content-type>} of the page's head names. */
  private static String metaCharset(byte[] head) {
    String[] found = new String[1];
    try {
      new TagScanner(new ByteArrayInputStream(head), StandardCharsets.ISO_8859_1, Set.of("meta"), (tag, meta) -> {
        if (found[0] != null && !found[0].isBlank()) {
          return;
        }
        if (meta.has("charset")) {
          found[0] = meta.get("charset");
        } else if (meta.get("http-equiv").trim().equalsIgnoreCase("content-type")) {
          found[0] = charsetOf(meta.get("content"));
        }
      }).run();
    } catch (IOException e) {
      throw new IllegalStateException("cannot happen on a string", e);
    }
    return found[0];
  }

  private static final String[] HTML_SIGNATURES = {"<!doctype html", "<html", "<head", "<script", "<iframe", "<h1",
      "<div", "<font", "<table", "<a", "<style", "<title", "<b", "<body", "<br", "<p"};

  /** WHATWG MIME sniffing, HTML part: a known tag (followed by space or '>') or a comment at the start. */
  static boolean sniffsAsHtml(byte[] head) {
    int i = 0;
    if (head.length >= 3 && (head[0] & 0xFF) == 0xEF && (head[1] & 0xFF) == 0xBB && (head[2] & 0xFF) == 0xBF) {
      i = 3;
    }
    while (i < head.length && (head[i] == 0x09 || head[i] == 0x0A || head[i] == 0x0C || head[i] == 0x0D
        || head[i] == 0x20)) {
      i++;
    }
    if (startsWith(head, i, "<!--")) {
      return true;
    }
    for (String sig : HTML_SIGNATURES) {
      if (startsWith(head, i, sig)) {
        int after = i + sig.length();
        if (after < head.length && (head[after] == ' ' || head[after] == '>')) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean startsWith(byte[] b, int at, String lowerAscii) {
    if (at + lowerAscii.length() > b.length) {
      return false;
    }
    for (int k = 0; k < lowerAscii.length(); k++) {
      int c = b[at + k] & 0xFF;
      if (c >= 'A' && c <= 'Z') {
        c += 32;
      }
      if (c != lowerAscii.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
  }

  /**
   * A page in a charset whose bytes are not ASCII-compatible (UTF-16, ISO-2022-JP...) as UTF-8, a chunk at a time,
   * for the {@link TagScanner}. Rare, so simple: a surrogate pair split between chunks is kept whole.
   */
  private static final class Utf8Stream extends InputStream {
    private final Reader in;
    private final char[] chars = new char[8192];
    private int carried;
    private byte[] out = new byte[0];
    private int at;

    Utf8Stream(Reader in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      while (at == out.length) {
        int n = in.read(chars, carried, chars.length - carried);
        if (n < 0) {
          if (carried == 0) {
            return -1;
          }
          n = 0; // a lone high surrogate at the end: encoded as '?'
        }
        int end = carried + n;
        int keep = end > 0 && n > 0 && Character.isHighSurrogate(chars[end - 1]) ? 1 : 0;
        out = new String(chars, 0, end - keep).getBytes(StandardCharsets.UTF_8);
        at = 0;
        carried = keep;
        if (keep == 1) {
          chars[0] = chars[end - 1];
        }
      }
      int k = Math.min(len, out.length - at);
      System.arraycopy(out, at, b, off, k);
      at += k;
      return k;
    }
  }

  /** Reads at most {@code limit} bytes, then reports end of stream; remembers whether there was more. */
  private static final class LimitedInputStream extends FilterInputStream {
    private long left;
    private boolean hitLimit;

    LimitedInputStream(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    boolean hitLimit() {
      return hitLimit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        checkMore();
        return -1;
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        checkMore();
        return -1;
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    private void checkMore() throws IOException {
      if (!hitLimit && in.read() >= 0) {
        hitLimit = true;
      }
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
