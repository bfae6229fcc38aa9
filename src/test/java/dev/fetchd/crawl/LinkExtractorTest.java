package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinkExtractorTest {

  private static final String PAGE = "http://example.com/dir/page.html";

  private static ExtractedLinks html(String html) {
    return LinkExtractor.extract(html.getBytes(StandardCharsets.UTF_8), "text/html; charset=utf-8", PAGE, 1000);
  }

  @Test
  void resolvesRelativeLinksAndDropsWhatIsNotHttp() {
    ExtractedLinks links = html("""
        <!DOCTYPE html><html><head><title>t</title></head><body>
        <a href="other.html">rel</a>
        <a href="../up.html">up</a>
        <a href="/root">root</a>
        <a href="//cdn.example.org/x">net</a>
        <a href="https://other.example.net/a?b=1#c">abs</a>
        <a href="?page=2">query</a>
        <a href="mailto:me@example.com">mail</a>
        <a href="javascript:void(0)">js</a>
        <a href="tel:+123">tel</a>
        <a href="">empty</a>
        <a>no href</a>
        <area href="map.html">
        <iframe src="frame.html"></iframe>
        </body></html>""");
    assertThat(links.html()).isTrue();
    assertThat(links.pages()).containsExactly(
        "http://example.com/dir/other.html",
        "http://example.com/up.html",
        "http://example.com/root",
        "http://cdn.example.org/x",
        "https://other.example.net/a?b=1",
        "http://example.com/dir/page.html?page=2",
        "http://example.com/dir/map.html",
        "http://example.com/dir/frame.html");
    assertThat(links.assets()).isEmpty();
    assertThat(links.nofollow()).isFalse();
    assertThat(links.noindex()).isFalse();
    assertThat(links.truncated()).isFalse();
  }

  @Test
  void deduplicatesSpellingsOfOneUrl() {
    ExtractedLinks links = html("""
        <a href="a.html">1</a><a href="./a.html">2</a><a href="a.html#top">3</a>
        <a href="HTTP://EXAMPLE.COM:80/dir/a.html">4</a><a href="/dir/sub/../a.html">5</a>
        <a href="%61.html">6</a><a href="b.html">7</a><a href="a.html">8</a>
        <img src="i.png"><img src="./i.png"><img srcset="i.png 2x">""");
    assertThat(links.pages()).containsExactly("http://example.com/dir/a.html", "http://example.com/dir/b.html");
    assertThat(links.assets()).containsExactly("http://example.com/dir/i.png");
  }

  @Test
  void honoursBaseHref() {
    ExtractedLinks links = html("""
        <html><head><base href="http://static.example.com/root/"><base href="/ignored/"></head>
        <body><a href="page.html">p</a><a href="/abs">a</a><img src="img/x.png"></body></html>""");
    assertThat(links.pages()).containsExactly("http://static.example.com/root/page.html",
        "http://static.example.com/abs");
    assertThat(links.assets()).containsExactly("http://static.example.com/root/img/x.png");
  }

  @Test
  void relativeBaseHrefIsResolvedAgainstThePage() {
    ExtractedLinks links = html("""
        <head><base target="_blank"><base href="../other/"></head><a href="x.html">x</a>""");
    assertThat(links.pages()).containsExactly("http://example.com/other/x.html");
  }

  @Test
  void unusableBaseHrefFallsBackToThePage() {
    ExtractedLinks links = html("<base href=\"javascript:alert(1)\"><a href=\"x.html\">x</a>");
    assertThat(links.pages()).containsExactly("http://example.com/dir/x.html");
  }

  @Test
  void readsEveryCandidateOfSrcset() {
    ExtractedLinks links = html("""
        <img src="small.jpg" srcset="small.jpg 480w, medium.jpg 800w,large.jpg 1200w">
        <img srcset="  a.png 1x ,b.png   2x,   c.png">
        <img srcset="img,with,commas.png 1x, sized.png (max-width: 1px, whatever) 2x, d.png">
        <img srcset="trailing.png, next.png">
        <picture>
          <source srcset="pic.avif 1x, pic@2x.avif 2x" type="image/avif">
          <source media="(min-width: 800px)" srcset="/wide.webp">
          <img src="pic.jpg" alt="">
        </picture>
        <img src="placeholder.gif" data-src="lazy.jpg" data-srcset="lazy-1.jpg 1x, lazy-2.jpg 2x">""");
    assertThat(links.assets()).containsExactly(
        "http://example.com/dir/small.jpg",
        "http://example.com/dir/medium.jpg",
        "http://example.com/dir/large.jpg",
        "http://example.com/dir/a.png",
        "http://example.com/dir/b.png",
        "http://example.com/dir/c.png",
        "http://example.com/dir/img,with,commas.png",
        "http://example.com/dir/sized.png",
        "http://example.com/dir/d.png",
        "http://example.com/dir/trailing.png",
        "http://example.com/dir/next.png",
        "http://example.com/dir/pic.avif",
        "http://example.com/dir/pic@2x.avif",
        "http://example.com/wide.webp",
        "http://example.com/dir/pic.jpg",
        "http://example.com/dir/placeholder.gif",
        "http://example.com/dir/lazy.jpg",
        "http://example.com/dir/lazy-1.jpg",
        "http://example.com/dir/lazy-2.jpg");
    assertThat(links.pages()).isEmpty();
  }

  @Test
  void srcsetParserFollowsTheHtmlSpec() {
    assertThat(LinkExtractor.srcsetUrls("a.png")).containsExactly("a.png");
    assertThat(LinkExtractor.srcsetUrls("a.png,b.png")).containsExactly("a.png,b.png");
    assertThat(LinkExtractor.srcsetUrls("a.png, b.png")).containsExactly("a.png", "b.png");
    assertThat(LinkExtractor.srcsetUrls("a.png 1x,b.png 2x")).containsExactly("a.png", "b.png");
    assertThat(LinkExtractor.srcsetUrls(" , ,a.png 100w (x, y) 2x, b.png")).containsExactly("a.png", "b.png");
    assertThat(LinkExtractor.srcsetUrls("data:image/png;base64,AAA= 1x, b.png 2x"))
        .containsExactly("data:image/png;base64,AAA=", "b.png");
    assertThat(LinkExtractor.srcsetUrls("   ")).isEmpty();
  }

  @Test
  void assetsAreImagesFirstThenMedia() {
    ExtractedLinks links = html("""
        <html><head>
          <link rel="stylesheet" href="style.css">
          <link rel="icon" href="/favicon.ico">
          <link rel="shortcut icon" href="/favicon-32.png">
          <link rel="apple-touch-icon" href="/touch.png">
          <link rel="preload" href="/font.woff2" as="font">
          <script src="app.js"></script>
        </head><body>
          <video src="movie.mp4" poster="poster.jpg">
            <source src="movie.webm" type="video/webm">
            <track src="subs.vtt" kind="subtitles">
          </video>
          <audio src="sound.mp3"><source src="sound.ogg"></audio>
          <img src="photo.jpg">
          <input type="image" src="button.png">
          <input type="text" src="not-an-image.png">
          <embed src="plugin.swf">
        </body></html>""");
    assertThat(links.assets()).containsExactly(
        "http://example.com/favicon.ico",
        "http://example.com/favicon-32.png",
        "http://example.com/touch.png",
        "http://example.com/dir/poster.jpg",
        "http://example.com/dir/photo.jpg",
        "http://example.com/dir/button.png",
        "http://example.com/dir/movie.mp4",
        "http://example.com/dir/movie.webm",
        "http://example.com/dir/subs.vtt",
        "http://example.com/dir/sound.mp3",
        "http://example.com/dir/sound.ogg");
    assertThat(links.pages()).isEmpty();
  }

  @Test
  void skipsRelNofollowLinks() {
    ExtractedLinks links = html("""
        <a href="followed.html">f</a>
        <a href="nf.html" rel="nofollow">n</a>
        <a href="ugc.html" rel="ugc NoFollow">u</a>
        <a href="sponsored.html" rel="sponsored">s</a>
        <a href="nofollowish.html" rel="nofollowers">x</a>
        <area href="area-nf.html" rel="nofollow">""");
    assertThat(links.pages()).containsExactly("http://example.com/dir/followed.html",
        "http://example.com/dir/sponsored.html", "http://example.com/dir/nofollowish.html");
  }

  @Test
  void metaRobotsNofollowDropsPageLinksButKeepsAssets() {
    ExtractedLinks links = html("""
        <html><head><meta name="ROBOTS" content="noarchive, NoFollow"></head>
        <body><a href="x.html">x</a><img src="y.png"></body></html>""");
    assertThat(links.nofollow()).isTrue();
    assertThat(links.noindex()).isFalse();
    assertThat(links.pages()).isEmpty();
    assertThat(links.assets()).containsExactly("http://example.com/dir/y.png");
  }

  @Test
  void metaRobotsNoneIsNoindexAndNofollow() {
    ExtractedLinks links = html("<meta name=robots content=none><a href=x.html>x</a>");
    assertThat(links.nofollow()).isTrue();
    assertThat(links.noindex()).isTrue();
    assertThat(links.pages()).isEmpty();
  }

  @Test
  void metaRobotsNoindexIsOnlyAFlag() {
    ExtractedLinks links = html("<meta name=\"robots\" content=\"noindex\"><a href=x.html>x</a>");
    assertThat(links.noindex()).isTrue();
    assertThat(links.nofollow()).isFalse();
    assertThat(links.pages()).containsExactly("http://example.com/dir/x.html");
  }

  @Test
  void otherMetaNamesAreIgnored() {
    ExtractedLinks links = html("<meta name=\"googlebot\" content=\"nofollow\"><a href=x.html>x</a>");
    assertThat(links.nofollow()).isFalse();
    assertThat(links.pages()).hasSize(1);
  }

  @Test
  void metaRefreshIsAPageLink() {
    assertThat(html("<meta http-equiv=\"refresh\" content=\"0; url='next.html'\">").pages())
        .containsExactly("http://example.com/dir/next.html");
    assertThat(html("<meta http-equiv=\"Refresh\" content=\"5;URL=/moved\">").pages())
        .containsExactly("http://example.com/moved");
    assertThat(html("<meta http-equiv=\"refresh\" content=\"30\">").pages()).isEmpty();
    assertThat(LinkExtractor.refreshUrl("0, http://x.example/")).isEqualTo("http://x.example/");
    assertThat(LinkExtractor.refreshUrl("1.5; url = \"a b\" trailing")).isEqualTo("a b");
    assertThat(LinkExtractor.refreshUrl("soon")).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"image/png", "application/json", "text/plain", "text/css", "application/octet-stream",
      "application/pdf", "text/htmlx", "html"})
  void otherContentTypesGiveNothing(String type) {
    byte[] body = "<html><a href=\"x.html\">x</a><img src=\"y.png\"></html>".getBytes(StandardCharsets.UTF_8);
    ExtractedLinks links = LinkExtractor.extract(body, type, PAGE, 100);
    assertThat(links).isEqualTo(ExtractedLinks.NOT_HTML);
    assertThat(links.html()).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"text/html", "TEXT/HTML", "text/html;charset=UTF-8", " text/html ; charset=\"utf-8\"",
      "application/xhtml+xml", "application/xhtml+xml; charset=utf-8", "text/html; charset=nonsense-charset"})
  void htmlContentTypes(String type) {
    byte[] body = "<html><a href=\"x.html\">x</a></html>".getBytes(StandardCharsets.UTF_8);
    assertThat(LinkExtractor.extract(body, type, PAGE, 100).pages()).containsExactly("http://example.com/dir/x.html");
  }

  @Test
  void xhtmlIsParsed() {
    String xhtml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
        <html xmlns="http://www.w3.org/1999/xhtml"><head><title>x</title></head>
        <body><p><a href="next.xhtml">n</a><img src="i.png" alt=""/></p></body></html>""";
    ExtractedLinks links = LinkExtractor.extract(xhtml.getBytes(StandardCharsets.UTF_8), "application/xhtml+xml",
        PAGE, 100);
    assertThat(links.pages()).containsExactly("http://example.com/dir/next.xhtml");
    assertThat(links.assets()).containsExactly("http://example.com/dir/i.png");
  }

  @Test
  void sniffsOnlyWhenTheContentTypeIsMissing() {
    byte[] page = "\uFEFF \n<!doctype HTML><title>x</title><a href=\"x.html\">x</a>".getBytes(StandardCharsets.UTF_8);
    assertThat(LinkExtractor.extract(page, null, PAGE, 100).pages()).containsExactly("http://example.com/dir/x.html");
    assertThat(LinkExtractor.extract(page, "  ", PAGE, 100).html()).isTrue();
    assertThat(LinkExtractor.extract(page, "text/plain", PAGE, 100).html()).isFalse();

    byte[] png = new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13};
    assertThat(LinkExtractor.extract(png, null, PAGE, 100)).isEqualTo(ExtractedLinks.NOT_HTML);
    byte[] json = "{\"a\": \"<a href=x>\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(LinkExtractor.extract(json, null, PAGE, 100).html()).isFalse();
    assertThat(LinkExtractor.extract(new byte[0], null, PAGE, 100).html()).isFalse();

    assertThat(LinkExtractor.sniffsAsHtml("<HTML>".getBytes(StandardCharsets.US_ASCII))).isTrue();
    assertThat(LinkExtractor.sniffsAsHtml("<p class=x>".getBytes(StandardCharsets.US_ASCII))).isTrue();
    assertThat(LinkExtractor.sniffsAsHtml("<!-- c -->".getBytes(StandardCharsets.US_ASCII))).isTrue();
    assertThat(LinkExtractor.sniffsAsHtml("<htmlx>".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(LinkExtractor.sniffsAsHtml("<?xml version=\"1.0\"?>".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(LinkExtractor.sniffsAsHtml("<html".getBytes(StandardCharsets.US_ASCII))).isFalse();
  }

  @Test
  void survivesBrokenHtml() {
    ExtractedLinks links = html("""
        <html><body><div><p>unclosed <b>bold <a href=unquoted.html>u</a>
        <a href="ok.html"<img src=glued.png>
        <table><tr><td><a href='single.html'>s</td></tr>
        <a href="  spaced name.html  ">sp</a>
        <a href="&#x2F;entity&amp;x=1">e</a>
        <a href="line
        break.html">lb</a>
        <a href=http://[broken>bad host</a>
        <a href="http://example.com:99999/">bad port</a>
        <a href="#">self</a>
        </div></div></body></html></html><a href="after-end.html">late</a>
        <img src=">  an unterminated attribute runs to the end, as in a browser <a href="eaten.html">""");
    assertThat(links.html()).isTrue();
    assertThat(links.pages()).contains(
        "http://example.com/dir/unquoted.html",
        "http://example.com/dir/single.html",
        "http://example.com/dir/spaced%20name.html",
        "http://example.com/entity&x=1",
        "http://example.com/dir/linebreak.html",
        "http://example.com/dir/page.html",
        "http://example.com/dir/after-end.html");
    assertThat(links.pages()).noneMatch(u -> u.contains("99999") || u.contains("broken") || u.contains("eaten"));
  }

  @Test
  void capsEachListAtMaxLinks() {
    StringBuilder sb = new StringBuilder("<html><body>");
    for (int i = 0; i < 50; i++) {
      sb.append("<a href=\"p").append(i).append(".html\">x</a><img src=\"i").append(i).append(".png\">");
    }
    ExtractedLinks links = LinkExtractor.extract(sb.toString().getBytes(StandardCharsets.UTF_8), "text/html", PAGE,
        10);
    assertThat(links.pages()).hasSize(10).startsWith("http://example.com/dir/p0.html")
        .endsWith("http://example.com/dir/p9.html");
    assertThat(links.assets()).hasSize(10).startsWith("http://example.com/dir/i0.png");
    assertThat(links.truncated()).isTrue();

    // duplicates beyond the cap do not count as truncation
    ExtractedLinks exact = html("<a href=a>1</a><a href=b>2</a><a href=a>3</a><a href=b>4</a>");
    ExtractedLinks capped = LinkExtractor.extract("<a href=a>1</a><a href=b>2</a><a href=a>3</a>"
        .getBytes(StandardCharsets.UTF_8), "text/html", PAGE, 2);
    assertThat(exact.truncated()).isFalse();
    assertThat(capped.truncated()).isFalse();
    assertThat(capped.pages()).hasSize(2);
    assertThat(LinkExtractor.extract("<a href=a>1</a>".getBytes(StandardCharsets.UTF_8), "text/html", PAGE, 0)
        .pages()).isEmpty();
  }

  @Test
  void charsetFromContentTypeOrMeta() {
    Charset latin1 = StandardCharsets.ISO_8859_1;
    byte[] body = "<a href=\"caf\u00e9.html\">c</a>".getBytes(latin1);
    assertThat(LinkExtractor.extract(body, "text/html; charset=ISO-8859-1", PAGE, 10).pages())
        .containsExactly("http://example.com/dir/caf%C3%A9.html");

    byte[] withMeta = "<html><head><meta charset=\"iso-8859-1\"></head><a href=\"caf\u00e9.html\">c</a>"
        .getBytes(latin1);
    assertThat(LinkExtractor.extract(withMeta, "text/html", PAGE, 10).pages())
        .containsExactly("http://example.com/dir/caf%C3%A9.html");

    byte[] utf8 = "<a href=\"caf\u00e9.html\">c</a>".getBytes(StandardCharsets.UTF_8);
    assertThat(LinkExtractor.extract(utf8, "text/html", PAGE, 10).pages())
        .containsExactly("http://example.com/dir/caf%C3%A9.html");
  }

  @Test
  void unusablePageUrlGivesNothing() {
    byte[] body = "<a href=\"x.html\">x</a>".getBytes(StandardCharsets.UTF_8);
    assertThat(LinkExtractor.extract(body, "text/html", "not a url", 10)).isEqualTo(ExtractedLinks.NOT_HTML);
  }

  @Test
  void readsAStoredFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("body");
    Files.writeString(file, "<html><a href=\"x.html\">x</a><img src=\"y.png\"></html>");
    ExtractedLinks links = LinkExtractor.extract(file, "text/html", PAGE, 10);
    assertThat(links.pages()).containsExactly("http://example.com/dir/x.html");
    assertThat(links.assets()).containsExactly("http://example.com/dir/y.png");
  }

  private static byte[] bigPage(int bytes) {
    StringBuilder sb = new StringBuilder(bytes + 1000)
        .append("<!DOCTYPE html><html><head><title>big</title></head><body>");
    int i = 0;
    while (sb.length() < bytes) {
      sb.append("<div class=\"item\"><h2>Item ").append(i).append("</h2><p>Some text about item ").append(i)
          .append(", with <b>markup</b> &amp; entities.</p><a href=\"/items/").append(i).append("?ref=list\">more</a>")
          .append("<img src=\"/img/").append(i).append(".jpg\" srcset=\"/img/").append(i)
          .append("@2x.jpg 2x\"></div>\n");
      i++;
    }
    return sb.append("</body></html>").toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void bigPageParsesInUnderASecond() {
    // a warm JIT, as on a service that has parsed a few pages (the very first parse in a JVM is ~3x slower)
    byte[] warm = bigPage(1_000_000);
    for (int r = 0; r < 3; r++) {
      LinkExtractor.extract(warm, "text/html", PAGE, 1_000_000);
    }
    byte[] body = bigPage(5_000_000);
    assertThat(body.length).isGreaterThanOrEqualTo(5_000_000);

    // CPU time of this thread, best of three: other builds on a busy machine do not make it fail
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long bestMs = Long.MAX_VALUE;
    ExtractedLinks links = null;
    for (int r = 0; r < 3 && bestMs >= 1000; r++) {
      long start = threads.getCurrentThreadCpuTime();
      links = LinkExtractor.extract(body, "text/html; charset=utf-8", PAGE, 1_000_000);
      bestMs = Math.min(bestMs, (threads.getCurrentThreadCpuTime() - start) / 1_000_000);
    }

    int items = links.pages().size();
    assertThat(items).isGreaterThan(20_000);
    assertThat(links.pages()).startsWith("http://example.com/items/0?ref=list");
    assertThat(links.assets()).hasSize(2 * items)
        .startsWith("http://example.com/img/0.jpg", "http://example.com/img/0@2x.jpg");
    assertThat(bestMs).as("5 MB page took %d ms of CPU", bestMs).isLessThan(1000);
  }

  @Test
  void partsBeyondTheParseLimitAreIgnored() {
    StringBuilder sb = new StringBuilder(LinkExtractor.MAX_PARSE_BYTES + 1000)
        .append("<a href=\"first.html\">f</a><p>");
    String filler = "x".repeat(1023) + "\n";
    while (sb.length() < LinkExtractor.MAX_PARSE_BYTES) {
      sb.append(filler);
    }
    sb.append("</p><a href=\"beyond.html\">b</a>");
    ExtractedLinks links = LinkExtractor.extract(sb.toString().getBytes(StandardCharsets.UTF_8), "text/html", PAGE, 10);
    assertThat(links.pages()).containsExactly("http://example.com/dir/first.html");
    assertThat(links.truncated()).isTrue();
  }

  @Test
  void deepNestingCostsNothingAndHidesNoLink() {
    StringBuilder sb = new StringBuilder("<a href=\"before.html\">b</a>");
    for (int i = 0; i < 200_000; i++) {
      sb.append("<div><span>t");
    }
    sb.append("<a href=\"deep.html\">d</a>");
    ExtractedLinks links = html(sb.toString());
    assertThat(links.pages()).containsExactly("http://example.com/dir/before.html", "http://example.com/dir/deep.html");
    assertThat(links.truncated()).isFalse();
  }

  @Test
  void rawTextCommentsAndEndTagsHideNoTagsAndInventNone() {
    ExtractedLinks links = html("""
        <!DOCTYPE html><html><head><title><a href="in-title.html"></title>
        <script>var s = "<a href='in-script.html'>"; if (a</b) {}</script >
        <style>a[href="in-style.html"]{}</style><!-- <a href="in-comment.html"> --><!--><a href="after-empty-comment.html">
        <textarea><img src="in-textarea.png"></TEXTAREA><?php echo '<a href="pi.html">' ?>
        </head><body></div title=">"><A HREF='UPPER.html' href="second-ignored.html">u</A>
        <a href="ok.html"title=x>glued</a><img data-src="lazy.png" src = "spaced.png">
        <a href=&quot;q&quot;>entity-unquoted</a><a href="x?a=1&amp;b=2&copy=3">amp</a>
        <plaintext><a href="after-plaintext.html">""");
    assertThat(links.pages()).containsExactly("http://example.com/dir/after-empty-comment.html",
        "http://example.com/dir/UPPER.html", "http://example.com/dir/ok.html", "http://example.com/dir/%22q%22",
        "http://example.com/dir/x?a=1&b=2&copy=3");
    assertThat(links.assets()).containsExactly("http://example.com/dir/spaced.png", "http://example.com/dir/lazy.png");
  }

  @Test
  void aValueTooLongToBeAUrlIsDroppedNotKept() {
    String huge = "h".repeat(TagScanner.MAX_VALUE_BYTES + 1);
    ExtractedLinks links = html("<a href=\"" + huge + "\">x</a><img srcset='" + huge + " 1x'><a href=\"ok.html\">");
    assertThat(links.pages()).containsExactly("http://example.com/dir/ok.html");
    assertThat(links.assets()).isEmpty();
  }

  @Test
  void textBetweenCommentsInOneElementDoesNotStopTheParse() {
    StringBuilder sb = new StringBuilder("<p>");
    for (int i = 0; i < 100_000; i++) {
      sb.append("text<!-- c -->");
    }
    sb.append("<a href=\"after.html\">a</a></p><img src=\"last.png\">");
    ExtractedLinks links = html(sb.toString());
    assertThat(links.pages()).containsExactly("http://example.com/dir/after.html");
    assertThat(links.assets()).containsExactly("http://example.com/dir/last.png");
    assertThat(links.truncated()).isFalse();
  }

  @Test
  void theHeapOfTheUrlsKeptIsBoundedEvenWhenShortLinksResolveToLongUrls() {
    String longBase = "http://example.com/" + "b".repeat(8000) + "/";
    StringBuilder sb = new StringBuilder("<base href=\"" + longBase + "\">");
    for (int i = 0; i < 1000; i++) {
      sb.append("<a href=").append(i).append(">x</a>");
    }
    byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
    long allowance = LinkExtractor.linkBytes(body.length, 1000);
    ExtractedLinks links = LinkExtractor.extract(body, "text/html", PAGE, 1000);
    long held = links.pages().stream().mapToLong(u -> u.length() + LinkExtractor.URL_OVERHEAD_BYTES).sum();
    assertThat(held).isLessThanOrEqualTo(allowance);
    assertThat(links.pages()).isNotEmpty().hasSizeLessThan(1000).allMatch(u -> u.startsWith(longBase));
    assertThat(links.truncated()).isTrue();
  }

  @Test
  void charsetFromHttpEquivOrAByteOrderMark() {
    Charset latin1 = StandardCharsets.ISO_8859_1;
    byte[] httpEquiv = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"
        + "</head><a href=\"caf\u00e9.html\">c</a>").getBytes(latin1);
    assertThat(LinkExtractor.extract(httpEquiv, "text/html", PAGE, 10).pages())
        .containsExactly("http://example.com/dir/caf%C3%A9.html");

    byte[] utf16 = "\uFEFF<a href=\"caf\u00e9.html\">c</a>".getBytes(StandardCharsets.UTF_16BE);
    assertThat(LinkExtractor.extract(utf16, "text/html", PAGE, 10).pages())
        .containsExactly("http://example.com/dir/caf%C3%A9.html");
  }

  @Test
  void linksInsideLinksKeepDocumentOrder() {
    ExtractedLinks links = html("""
        <a href="outer.html"><iframe src="inner.html"></iframe></a><a href="next.html">n</a>
        <picture><source srcset="p1.webp"><img src="p2.jpg"></picture><img src="p3.jpg">""");
    assertThat(links.pages()).containsExactly("http://example.com/dir/outer.html",
        "http://example.com/dir/inner.html", "http://example.com/dir/next.html");
    assertThat(links.assets()).containsExactly("http://example.com/dir/p1.webp", "http://example.com/dir/p2.jpg",
        "http://example.com/dir/p3.jpg");
  }
}
