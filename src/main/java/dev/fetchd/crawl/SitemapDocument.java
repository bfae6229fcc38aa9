package dev.fetchd.crawl;

import crawlercommons.sitemaps.AbstractSiteMap;
import crawlercommons.sitemaps.SiteMap;
import crawlercommons.sitemaps.SiteMapIndex;
import crawlercommons.sitemaps.SiteMapParser;
import crawlercommons.sitemaps.SiteMapURL;
import crawlercommons.sitemaps.UnknownFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * One sitemap document as read by crawler-commons' {@link SiteMapParser}: an XML sitemap, a sitemap index, a
 * plain-text sitemap (one URL per line) or an RSS/Atom feed, gzipped or not (recognised by its magic bytes, whatever
 * the URL or Content-Type say; the fetcher asks for identity encoding). The parser is lenient (not strict: a
 * sitemap may list URLs outside its own path, the crawl's scope decides) and keeps what it read of a truncated
 * document.
 *
 * <p>Threading: {@link #parse} is CPU work linear in the document (up to {@link #MAX_BYTES}): run it on a worker.
 *
 * @param urls     the page URLs it lists (a sitemap), as written, at most the {@code maxUrls} asked for
 * @param sitemaps the sitemaps it points to (an index)
 */
public record SitemapDocument(List<String> urls, List<String> sitemaps) {

  /** The sitemap protocol's limit on a document, uncompressed: 50 MiB. */
  public static final int MAX_BYTES = 50 * 1024 * 1024;

  /**
   * Parses a fetched sitemap.
   *
   * @param body    the body as fetched (at most {@link #MAX_BYTES}); gzip is undone, up to {@link #MAX_BYTES}
   * @param url     where it was fetched from (relative entries resolve against it)
   * @param maxUrls how many URLs to keep at most
   * @throws IOException when it is neither a sitemap nor readable (bad gzip, over the limit, unknown format)
   */
  public static SitemapDocument parse(byte[] body, String url, int maxUrls) throws IOException {
    byte[] content = isGzip(body) ? gunzip(body) : body;
    SiteMapParser parser = new SiteMapParser(false, true);
    AbstractSiteMap map;
    try {
      map = parser.parseSiteMap(looksLikeXml(content) ? "text/xml" : "text/plain", content, toUrl(url));
    } catch (UnknownFormatException e) {
      throw new IOException("not a sitemap: " + e.getMessage(), e);
    }
    List<String> urls = new ArrayList<>();
    List<String> sitemaps = new ArrayList<>();
    if (map instanceof SiteMapIndex index) {
      for (AbstractSiteMap child : index.getSitemaps()) {
        if (sitemaps.size() >= maxUrls) {
          break;
        }
        sitemaps.add(child.getUrl().toString());
      }
    } else if (map instanceof SiteMap sitemap) {
      for (SiteMapURL u : sitemap.getSiteMapUrls()) {
        if (urls.size() >= maxUrls) {
          break;
        }
        urls.add(u.getUrl().toString());
      }
    }
    return new SitemapDocument(List.copyOf(urls), List.copyOf(sitemaps));
  }

  private static URL toUrl(String url) throws IOException {
    try {
      return URI.create(url).toURL();
    } catch (IllegalArgumentException e) {
      throw new IOException("bad sitemap URL " + url, e);
    }
  }

  static boolean isGzip(byte[] b) {
    return b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b;
  }

  /** XML when its first non-blank character (after a BOM) is '<'; anything else is read as a text sitemap. */
  static boolean looksLikeXml(byte[] b) {
    int i = b.length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf ? 3 : 0;
    while (i < b.length && Character.isWhitespace(b[i])) {
      i++;
    }
    return i < b.length && b[i] == '<';
  }

  /** Undoes gzip, refusing more than {@link #MAX_BYTES} out: a small bomb must not fill the heap. */
  private static byte[] gunzip(byte[] gz) throws IOException {
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(MAX_BYTES, Math.max(1024, gz.length * 4)));
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + n > MAX_BYTES) {
          throw new IOException("gzipped sitemap over " + MAX_BYTES + " bytes uncompressed");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    }
  }
}
