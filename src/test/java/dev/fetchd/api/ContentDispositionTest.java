package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The file name offered for a stored body never carries a path, a quote or a control character. */
class ContentDispositionTest {

  @Test
  void hostileNamesLoseSeparatorsQuotesAndControls() {
    assertThat(ContentDisposition.attachment("http://h/a/..%2F..%2Fetc%2Fpasswd", "x"))
        .isEqualTo("attachment; filename=\"....etcpasswd\"");
    assertThat(ContentDisposition.attachment("http://h/a%5C..%5Cwin.ini%0D%0AX-Evil:%201", "x"))
        .isEqualTo("attachment; filename=\"a..win.iniX-Evil: 1\"");
    assertThat(ContentDisposition.attachment("http://h/%22q%22%27s.txt?x=1#f", "x"))
        .isEqualTo("attachment; filename=\"qs.txt\"");
    assertThat(ContentDisposition.attachment("http://h/100%25.txt", "x"))
        .as("no % in the fallback: some agents decode it").isEqualTo(
            "attachment; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt");
  }

  @Test
  void nonAsciiNamesComeAsFilenameStarWithAnAsciiFallback() {
    assertThat(ContentDisposition.attachment("https://h/%E6%97%A5%E6%9C%AC.txt", "x"))
        .isEqualTo("attachment; filename=\"__.txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt");
    assertThat(ContentDisposition.attachment("https://h/caf\u00e9 menu.pdf", "x"))
        .isEqualTo("attachment; filename=\"caf_ menu.pdf\"; filename*=UTF-8''caf%C3%A9%20menu.pdf");
  }

  @Test
  void aUrlWithoutANameGetsTheFallback() {
    assertThat(ContentDisposition.attachment("https://h/", "item-3")).isEqualTo("attachment; filename=\"item-3\"");
    assertThat(ContentDisposition.attachment("https://h", "item-3")).isEqualTo("attachment; filename=\"item-3\"");
    assertThat(ContentDisposition.attachment("https://h/..", "item-3")).isEqualTo("attachment; filename=\"item-3\"");
  }
}
