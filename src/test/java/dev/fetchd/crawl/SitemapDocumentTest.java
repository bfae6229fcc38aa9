package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class SitemapDocumentTest {

  static byte[] gzip(String s) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(s.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  @Test
  void aGzippedIndexIsRecognisedByItsMagicBytesWhateverItsName() throws IOException {
    String index = "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "<sitemap><loc>https://a.example/one.xml</loc></sitemap>"
        + "<sitemap><loc>https://a.example/two.txt</loc></sitemap></sitemapindex>";
    SitemapDocument d = SitemapDocument.parse(gzip(index), "https://a.example/index", 100);
    assertThat(d.sitemaps()).containsExactly("https://a.example/one.xml", "https://a.example/two.txt");
    assertThat(d.urls()).isEmpty();
  }

  @Test
  void aTextSitemapListsOneUrlPerLineAndMaxUrlsIsKept() throws IOException {
    String text = "https://a.example/p1\n\nhttps://b.example/elsewhere\nhttps://a.example/p3\n";
    SitemapDocument d = SitemapDocument.parse(text.getBytes(StandardCharsets.UTF_8), "https://a.example/s.txt", 2);
    assertThat(d.urls()).containsExactly("https://a.example/p1", "https://b.example/elsewhere");
  }

  @Test
  void anXmlSitemapWithABomListsItsUrls() throws IOException {
    String xml = "\uFEFF<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        + "<url><loc>https://a.example/x</loc></url></urlset>";
    assertThat(SitemapDocument.parse(xml.getBytes(StandardCharsets.UTF_8), "https://a.example/s.xml", 10).urls())
        .containsExactly("https://a.example/x");
  }

  @Test
  void aGzipBombOverFiftyMebibytesIsRefused() throws IOException {
    String blanks = " ".repeat(SitemapDocument.MAX_BYTES + 1);
    assertThatThrownBy(() -> SitemapDocument.parse(gzip(blanks), "https://a.example/s.xml.gz", 10))
        .isInstanceOf(IOException.class).hasMessageContaining("uncompressed");
  }
}
