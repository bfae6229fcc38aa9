package dev.fetchd.crawl;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * Finds the links and assets of an HTML page.
 *
 * <p><b>Blocking and CPU-bound: run it on a worker</b> ({@code vertx.executeBlocking(() -> ..., false)}), never on the
 * event loop. It parses the whole page into a DOM with jsoup: about 0.2-0.3 s of CPU (warm JIT; the first page in a JVM
 * is ~3x slower) and a few times the body's size in memory for a 5 MB page, well under a millisecond for a small one.
 * Stateless and thread-safe: calls may run in parallel. Bodies are parsed up to {@link #MAX_PARSE_BYTES}; the rest is
 * ignored (and {@code truncated} is set). It cannot be interrupted: a cancelled job just drops the result.
 *
 * <p>What counts:
 * <ul>
 *   <li>HTML is {@code text/html} or {@code application/xhtml+xml} (parameters ignored). Any other content type gives
 *       {@link ExtractedLinks#NOT_HTML}. Only when the content type is missing (null or blank) is the body sniffed
 *       (WHATWG MIME sniffing: after optional BOM and whitespace, {@code <!DOCTYPE html}, {@code <html}, {@code <head},
 *       {@code <body}, {@code <script}, {@code <p}, {@code <!--}...).</li>
 *   <li>Charset: the {@code charset} of the Content-Type if Java knows it, else jsoup detects it (BOM, then
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

  /** Bodies are parsed up to this many bytes (8 MiB); a DOM costs a few times its HTML in memory. */
  public static final int MAX_PARSE_BYTES = 8 * 1024 * 1024;

  private static final int SNIFF_BYTES = 512;

  private LinkExtractor() {
  }

  /** Extracts from a body in memory. */
  public static ExtractedLinks extract(byte[] body, String contentType, String pageUrl, int maxLinks) {
    try {
      return extract(new ByteArrayInputStream(body), contentType, pageUrl, maxLinks);
    } catch (IOException e) {
      throw new IllegalStateException("cannot happen on a byte array", e);
    }
  }

  /** Extracts from a stored body (the fetched file). */
  public static ExtractedLinks extract(Path file, String contentType, String pageUrl, int maxLinks)
      throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return extract(in, contentType, pageUrl, maxLinks);
    }
  }

  /** Extracts from a stream (read up to {@link #MAX_PARSE_BYTES}; not closed here). */
  public static ExtractedLinks extract(InputStream body, String contentType, String pageUrl, int maxLinks)
      throws IOException {
    boolean typeMissing = contentType == null || contentType.isBlank();
    if (!typeMissing && !isHtml(contentType)) {
      return ExtractedLinks.NOT_HTML;
    }
    NormalizedUrl page = UrlNormalizer.parse(pageUrl);
    if (page == null) {
      return ExtractedLinks.NOT_HTML;
    }
    BufferedInputStream in = new BufferedInputStream(body, 64 * 1024);
    if (typeMissing) {
      in.mark(SNIFF_BYTES);
      byte[] head = in.readNBytes(SNIFF_BYTES);
      in.reset();
      if (!sniffsAsHtml(head)) {
        return ExtractedLinks.NOT_HTML;
      }
    }
    LimitedInputStream limited = new LimitedInputStream(in, MAX_PARSE_BYTES);
    Document doc = Jsoup.parse(limited, charsetOf(contentType), page.toString());
    return extract(doc, page, Math.max(0, maxLinks), limited.hitLimit());
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

  private static ExtractedLinks extract(Document doc, NormalizedUrl page, int maxLinks, boolean cut) {
    NormalizedUrl base = page;
    Element baseEl = doc.selectFirst("base[href]");
    if (baseEl != null) {
      String b = UrlNormalizer.resolve(page, baseEl.attr("href"));
      NormalizedUrl parsed = b == null ? null : UrlNormalizer.parse(b);
      if (parsed != null) {
        base = parsed;
      }
    }
    Collector pages = new Collector(base, maxLinks);
    Collector images = new Collector(base, maxLinks);
    Collector media = new Collector(base, maxLinks);
    boolean nofollow = false;
    boolean noindex = false;

    for (Element e : doc.getAllElements()) {
      switch (e.normalName()) {
        case "a":
        case "area":
          if (e.hasAttr("href") && !hasToken(e.attr("rel"), "nofollow")) {
            pages.add(e.attr("href"));
          }
          break;
        case "iframe":
        case "frame":
          pages.addAttr(e, "src");
          break;
        case "meta":
          if (e.attr("name").trim().equalsIgnoreCase("robots")) {
            for (String token : e.attr("content").toLowerCase(Locale.ROOT).split("[\\s,]+")) {
              if (token.equals("nofollow") || token.equals("none")) {
                nofollow = true;
              }
              if (token.equals("noindex") || token.equals("none")) {
                noindex = true;
              }
            }
          } else if (e.attr("http-equiv").trim().equalsIgnoreCase("refresh")) {
            String target = refreshUrl(e.attr("content"));
            if (target != null) {
              pages.add(target);
            }
          }
          break;
        case "img":
          images.addAttr(e, "src");
          images.addSrcset(e.attr("srcset"));
          images.addAttr(e, "data-src");
          images.addSrcset(e.attr("data-srcset"));
          break;
        case "source":
          images.addSrcset(e.attr("srcset"));
          media.addAttr(e, "src");
          break;
        case "input":
          if (e.attr("type").trim().equalsIgnoreCase("image")) {
            images.addAttr(e, "src");
          }
          break;
        case "link":
          if (isIconRel(e.attr("rel"))) {
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

  /** Deduplicating, capped list of resolved URLs. */
  private static final class Collector {
    final NormalizedUrl base;
    final int max;
    final Set<String> urls = new LinkedHashSet<>();
    boolean truncated;

    Collector(NormalizedUrl base, int max) {
      this.base = base;
      this.max = max;
    }

    void addAttr(Element e, String attr) {
      if (e.hasAttr(attr)) {
        add(e.attr(attr));
      }
    }

    void add(String raw) {
      if (raw == null || raw.isBlank()) {
        return;
      }
      String url = UrlNormalizer.resolve(base, raw);
      if (url == null) {
        return;
      }
      if (urls.size() >= max) {
        if (!urls.contains(url)) {
          truncated = true;
        }
        return;
      }
      urls.add(url);
    }

    void addSrcset(String srcset) {
      if (srcset == null || srcset.isBlank()) {
        return;
      }
      for (String candidate : srcsetUrls(srcset)) {
        add(candidate);
      }
    }
  }

  /**
   * The URLs of a srcset attribute, per the HTML spec's parsing algorithm: a URL is a run of non-whitespace (trailing
   * commas removed); its descriptors run to the next comma outside parentheses.
   */
  static List<String> srcsetUrls(String s) {
    List<String> out = new ArrayList<>();
    int n = s.length();
    int i = 0;
    while (true) {
      while (i < n && (isSpace(s.charAt(i)) || s.charAt(i) == ',')) {
        i++;
      }
      if (i >= n) {
        return out;
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
        out.add(url);
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
    if (list == null || list.isEmpty()) {
      return false;
    }
    for (String t : list.trim().split("\\s+")) {
      if (t.equalsIgnoreCase(token)) {
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
