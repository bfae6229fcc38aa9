package dev.fetchd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class SafePathsTest {
  private static String path(String url) {
    return String.join("/", SafePaths.segments(url));
  }

  @Test
  void hostAndPathBecomeFoldersAndTrailingSlashesIndexHtml() {
    assertThat(path("https://Example.COM/a/b.html")).isEqualTo("example.com/a/b.html");
    assertThat(path("http://example.com:8080/a/")).isEqualTo("example.com_8080/a/index.html");
    assertThat(path("http://example.com")).isEqualTo("example.com/index.html");
    assertThat(path("http://example.com/")).isEqualTo("example.com/index.html");
    assertThat(path("http://user:pw@example.com//a///b")).isEqualTo("example.com/a/b");
    assertThat(path("http://example.com/list?page=2#top")).isEqualTo("example.com/list@page=2");
    assertThat(path("http://[::1]:8080/x")).isEqualTo("[__1]_8080/x");
  }

  @Test
  void nothingClimbsOutOrHidesControlCharacters() {
    assertThat(path("http://h/a/../../etc/passwd")).isEqualTo("h/a/__/__/etc/passwd");
    assertThat(path("http://h/%2e%2e/%2E%2E/x")).isEqualTo("h/__/__/x");
    assertThat(path("http://h/./x")).isEqualTo("h/_/x");
    assertThat(path("http://h/a%2fb%5cc")).isEqualTo("h/a_b_c");
    assertThat(path("http://h/a%00b%0a%1bc%7f")).isEqualTo("h/a_b__c_");
    assertThat(path("http://h/evil%E2%80%AEgnp.exe")).as("a right-to-left override").isEqualTo("h/evil_gnp.exe");
    assertThat(path("http://h/C:%5cwin")).isEqualTo("h/C__win");
    assertThat(path("http://h/con.txt")).isEqualTo("h/_con.txt");
    assertThat(path("http://h/name.")).isEqualTo("h/name._");
    assertThat(path("http://h/caf%C3%A9")).isEqualTo("h/café");
    assertThat(path("http://h/bad%ZZ%C3")).isEqualTo("h/bad%ZZ_");
    for (String url : List.of("http://h/../../x", "http:///../x", "/../../x", "../x", "http://../..")) {
      Path root = Path.of("/out");
      Path p = root;
      for (String s : SafePaths.segments(url)) {
        assertThat(s).doesNotContain("/", "\\").isNotIn(".", "..", "");
        p = p.resolve(s);
      }
      assertThat(p.normalize().startsWith(root)).as(p.toString()).isTrue();
    }
  }

  @Test
  void longNamesAreShortenedKeepingTheirExtensionAndStayDistinct() {
    String a = SafePaths.clean("x".repeat(300) + "a.html");
    String b = SafePaths.clean("x".repeat(300) + "b.html");
    assertThat(a.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(SafePaths.MAX_SEGMENT_BYTES);
    assertThat(a).endsWith(".html").isNotEqualTo(b);
    String wide = SafePaths.clean("é".repeat(200));
    assertThat(wide.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(SafePaths.MAX_SEGMENT_BYTES);
  }

  @Test
  void collisionsAreResolvedByIndexTheSameWayEveryTime() {
    for (int run = 0; run < 2; run++) {
      PathPlan plan = new PathPlan();
      assertThat(plan.claim(0, SafePaths.segments("http://h/a/"))).containsExactly("h", "a", "index.html");
      assertThat(plan.claim(1, SafePaths.segments("http://h/a/index.html"))).containsExactly("h", "a", "index~1.html");
      assertThat(plan.claim(2, SafePaths.segments("http://h/A/INDEX.HTML"))).as("case-insensitive file systems")
          .containsExactly("h", "A", "INDEX~2.HTML");
      assertThat(plan.claim(3, SafePaths.segments("http://h/a"))).as("a file where a folder is")
          .containsExactly("h", "a~3");
      assertThat(plan.claim(4, SafePaths.segments("http://h/f"))).containsExactly("h", "f");
      assertThat(plan.claim(5, SafePaths.segments("http://h/f/g"))).as("a folder where a file is")
          .containsExactly("h", "f~5", "g");
      assertThat(plan.claim(6, SafePaths.segments("http://h/a~3"))).containsExactly("h", "a~3~6");
    }
  }
}
