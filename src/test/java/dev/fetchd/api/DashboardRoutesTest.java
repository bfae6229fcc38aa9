package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the dashboard's files are served, without a browser: redirects, headers, no listing, no data. */
class DashboardRoutesTest {
  static final String TOKEN = "routes-token-0123456789";

  @Test
  void theDashboardIsServedFromTheJarWithRedirectsAndRevalidatedCaching() {
    try (RunningService fetchd = RunningService.start()) {
      RunningService.Response root = fetchd.get("/");
      assertThat(root.status()).isEqualTo(302);
      assertThat(root.header("Location")).isEqualTo("/ui/");
      assertThat(fetchd.get("/ui").header("Location")).isEqualTo("/ui/");

      RunningService.Response page = fetchd.get("/ui/");
      assertThat(page.status()).isEqualTo(200);
      assertThat(page.header("Content-Type")).startsWith("text/html");
      assertThat(page.body()).contains("<script type=\"module\" src=\"js/app.js\">");
      assertThat(page.header("Cache-Control")).isEqualTo("no-cache");
      assertThat(page.header("Last-Modified")).isNotNull();
      assertThat(page.header("Content-Security-Policy")).contains("default-src 'none'", "connect-src 'self'");
      assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
      // a UI-only query (the jobs list's ?refresh=MS) is the same page
      assertThat(fetchd.get("/ui/?refresh=60000").body()).isEqualTo(page.body());
      // unchanged files are revalidated, not sent again
      assertThat(fetchd.get("/ui/", "If-Modified-Since", page.header("Last-Modified")).status()).isEqualTo(304);

      for (String module : List.of("app", "api", "token", "sse", "jobs", "job", "submit", "progress", "format")) {
        RunningService.Response js = fetchd.get("/ui/js/" + module + ".js");
        assertThat(js.status()).as(module).isEqualTo(200);
        assertThat(js.header("Content-Type")).as("modules need a JavaScript type").startsWith("text/javascript");
      }
      assertThat(fetchd.get("/ui/app.css").header("Content-Type")).startsWith("text/css");

      // no directory listing, and unknown files are the API's usual 404 problem
      RunningService.Response dir = fetchd.get("/ui/js/");
      assertThat(dir.status()).isEqualTo(404);
      assertThat(dir.header("Content-Type")).isEqualTo("application/problem+json");
      assertThat(dir.body()).doesNotContain("app.js");
      assertThat(fetchd.get("/ui/nothing-here.js").status()).isEqualTo(404);
      assertThat(fetchd.get("/ui/../openapi.yaml").status()).as("dot segments leave /ui/ for the API").isEqualTo(200);
    }
  }

  @Test
  void withTokensTheFilesArePublicButNoDataIs() {
    try (RunningService fetchd = RunningService.start(Map.of("apiTokens", TOKEN))) {
      assertThat(fetchd.get("/").status()).isEqualTo(302);
      assertThat(fetchd.get("/ui/").status()).isEqualTo(200);
      assertThat(fetchd.get("/ui/js/app.js").status()).isEqualTo(200);
      assertThat(fetchd.get("/jobs").status()).isEqualTo(401);
      assertThat(fetchd.get("/ui/../jobs").status()).as("a dot segment does not borrow the dashboard's pass").isEqualTo(401);
      assertThat(fetchd.get("/ui/%2e%2e/jobs").status()).isEqualTo(401);
      assertThat(fetchd.get("/jobs", "Authorization", "Bearer " + TOKEN).status()).isEqualTo(200);
    }
  }
}
