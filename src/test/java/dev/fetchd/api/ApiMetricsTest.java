package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The API counts its requests by contract operation, method and status, in meters of its own. */
class ApiMetricsTest {
  private static final String SOME_ID = "00000000-0000-4000-8000-000000000000";

  @Test
  void requestsAreCountedByOperationMethodAndCode() throws Exception {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("apiTokens", "t0k3n-for-the-metrics-test-0123456789"))) {
      String[] auth = {"Authorization", "Bearer t0k3n-for-the-metrics-test-0123456789"};
      String id = fetchd.post("/jobs", "{\"type\":\"download\",\"urls\":[\"" + target.url("/bytes/a?size=10") + "\"]}",
          auth).json().getString("id");
      for (int i = 0; i < 3; i++) {
        assertThat(fetchd.get("/jobs/" + id, auth).status()).isEqualTo(200);
      }
      assertThat(fetchd.get("/jobs/" + SOME_ID, auth).status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs?limit=0", auth).status()).isEqualTo(400);
      double refusedBefore = count(fetchd, "none", "GET", "401", auth); // the harness's own start-up probes
      assertThat(fetchd.get("/jobs/" + id).status()).isEqualTo(401);
      assertThat(fetchd.get("/no/such/path", auth).status()).isEqualTo(404);
      HttpResponse<String> brew = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(fetchd.baseUrl() + "/jobs")).method("BREW", HttpRequest.BodyPublishers.noBody())
          .header(auth[0], auth[1]).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(brew.statusCode()).isGreaterThanOrEqualTo(400);

      RunningService.await("the last request counted", Duration.ofSeconds(5), () -> count(fetchd, "none", "OTHER",
          String.valueOf(brew.statusCode()), auth) == 1);
      assertThat(count(fetchd, "submitJob", "POST", "202", auth)).isEqualTo(1);
      assertThat(count(fetchd, "getJob", "GET", "200", auth)).isEqualTo(3);
      assertThat(count(fetchd, "getJob", "GET", "404", auth)).isEqualTo(1);
      assertThat(count(fetchd, "listJobs", "GET", "400", auth)).as("refused by the contract").isEqualTo(1);
      // refused before an operation matched: the token check runs first
      assertThat(count(fetchd, "none", "GET", "401", auth)).isEqualTo(refusedBefore + 1);
      assertThat(count(fetchd, "none", "GET", "404", auth)).isEqualTo(1);
      String text = fetchd.get("/metrics", auth).body();
      assertThat(text).containsPattern("(?m)^fetchd_api_request_duration_seconds_bucket\\{[^}]*operation=\"getJob\"");
      assertThat(text).contains("fetchd_api_request_duration_seconds_count{operation=\"getJob\"} 4");
      assertThat(text).as("Vert.x's own server meters are off").doesNotContain("vertx_http_server_");
      assertThat(text).doesNotContain("BREW");
    }
  }

  private static double count(RunningService fetchd, String operation, String method, String code, String[] auth) {
    String text = fetchd.get("/metrics", auth).body();
    String line = "fetchd_api_requests_total{code=\"" + code + "\",method=\"" + method + "\",operation=\"" + operation + "\"} ";
    return text.lines().filter(l -> l.startsWith(line)).mapToDouble(l -> Double.parseDouble(l.substring(line.length())))
        .findFirst().orElse(0);
  }
}
