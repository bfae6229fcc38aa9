package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ContractTest {

  @Test
  void theContractIsServedAsWrittenAndEveryOperationIsWired() throws Exception {
    try (RunningService fetchd = RunningService.start()) {
      RunningService.Response r = fetchd.get("/openapi.yaml");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Content-Type")).isEqualTo("application/yaml");
      assertThat(r.body()).isEqualTo(Files.readString(Path.of("openapi.yaml")));
      assertThat(r.body()).contains("application/problem+json");

      // an operation of the contract without a handler would answer 503
      assertThat(fetchd.get("/jobs").status()).isEqualTo(200);
      assertThat(fetchd.get("/jobs/x").status()).isEqualTo(404);
      assertThat(fetchd.delete("/jobs/x").status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/x/items").status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/x/items/0/content").status()).isEqualTo(404);
      assertThat(fetchd.get("/jobs/x/deliveries").status()).isEqualTo(404);
      assertThat(fetchd.get("/events?jobs=x").status()).isEqualTo(200); // an event stream: x is missing, then the end
      assertThat(fetchd.get("/metrics").status()).isEqualTo(200);
      assertThat(fetchd.get("/health/live").json().getString("status")).isEqualTo("UP");
      assertThat(fetchd.get("/health/ready").json().getString("status")).isEqualTo("UP");
      assertThat(fetchd.post("/jobs", "{}").status()).isEqualTo(400);
      // HEAD is an operation of its own in the contract: wired, not 405 or 503
      java.net.http.HttpResponse<Void> head = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create(fetchd.baseUrl() + "/jobs/x/items/0/content"))
              .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
          java.net.http.HttpResponse.BodyHandlers.discarding());
      assertThat(head.statusCode()).isEqualTo(404);
      RunningService.Response wrongMethod = fetchd.delete("/metrics");
      assertThat(wrongMethod.status()).isEqualTo(405);
      assertThat(wrongMethod.header("Content-Type")).isEqualTo("application/problem+json");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void theContractIsAlsoServedAsJsonWithTheSameContent() throws Exception {
    try (RunningService fetchd = RunningService.start()) {
      RunningService.Response r = fetchd.get("/openapi.json");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      Object yaml = new org.yaml.snakeyaml.Yaml().load(Files.readString(Path.of("openapi.yaml")));
      assertThat(r.json().getMap()).isEqualTo(new io.vertx.core.json.JsonObject((java.util.Map<String, Object>) yaml).getMap());
      assertThat(r.json().getJsonObject("paths").containsKey("/openapi.json")).isTrue();
    }
  }
}
