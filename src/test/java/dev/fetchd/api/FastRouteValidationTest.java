package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The contract's validation runs on the event loop with validators built once (ContractValidator), not in
 * vertx-openapi's worker-side validator: every bad parameter or body still gets, word for word, the
 * problem document the library's validator produced (recorded from the service before the change).
 */
class FastRouteValidationTest {
  static RunningService fetchd;
  static final String LONG_ID = "a".repeat(65);
  static final String LONG_TEXT = "c".repeat(201);

  @BeforeAll
  static void start() {
    fetchd = RunningService.start();
  }

  @AfterAll
  static void stop() {
    fetchd.close();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', value = {
      "GET    | /jobs/x?wait=abc           | wait   | Instance type string is invalid. Expected integer",
      "GET    | /jobs/x?wait=-1            | wait   | -1 is less than 0",
      "GET    | /jobs/x?wait=61            | wait   | 61 is greater than 60",
      "GET    | /jobs/x?wait=1.5           | wait   | Instance type number is invalid. Expected integer",
      "GET    | /jobs/x?wait=              | wait   | Instance type string is invalid. Expected integer",
      "GET    | /jobs/LONG_ID              | id     | String is too long (65 > 64)",
      "GET    | /jobs/LONG_ID?wait=abc     | wait   | Instance type string is invalid. Expected integer",
      "DELETE | /jobs/LONG_ID              | id     | String is too long (65 > 64)",
      "GET    | /jobs?limit=0              | limit  | 0 is less than 1",
      "GET    | /jobs?limit=abc            | limit  | Instance type string is invalid. Expected integer",
      "GET    | /jobs?limit=1001           | limit  | 1001 is greater than 1000",
      "GET    | /jobs?limit=               | limit  | Instance type string is invalid. Expected integer",
      "GET    | /jobs?cursor=LONG_TEXT     | cursor | String is too long (201 > 200)",
      "GET    | /jobs?cursor=              | cursor | String is too short (0 < 1)",
      "GET    | /jobs?cursor=zzz           | cursor | is not a cursor this service gave out",
      "GET    | /jobs/x/items?limit=0      | limit  | 0 is less than 1",
      "GET    | /jobs/x/items?limit=x      | limit  | Instance type string is invalid. Expected integer",
      "GET    | /jobs/x/items?cursor=LONG_TEXT | cursor | String is too long (201 > 200)",
      "GET    | /jobs/LONG_ID/items        | id     | String is too long (65 > 64)",
      "GET    | /jobs/x/items/abc/content  | n      | Instance type string is invalid. Expected integer",
      "GET    | /jobs/x/items/-1/content   | n      | -1 is less than 0",
  })
  void aBadParameterOnAFastRouteAnswersTheSameProblem(String method, String path, String field, String message) {
    String p = path.replace("LONG_ID", LONG_ID).replace("LONG_TEXT", LONG_TEXT);
    RunningService.Response r = method.equals("GET") ? fetchd.get(p) : fetchd.delete(p);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(r.json()).isEqualTo(invalid(field + ": " + message, field, message));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "state of jobs  | /jobs?state=bogus        | [\"queued\",\"running\",\"completed\",\"failed\",\"cancelled\",\"timed_out\"]",
      "empty state    | /jobs?state=             | [\"queued\",\"running\",\"completed\",\"failed\",\"cancelled\",\"timed_out\"]",
      "state of items | /jobs/x/items?state=bogus | [\"queued\",\"running\",\"succeeded\",\"failed\",\"skipped\",\"cancelled\"]",
  })
  void aStateOutsideTheEnumAnswersTheSameProblem(String name, String path, String values) {
    String message = "Instance does not match any of " + values;
    assertThat(fetchd.get(path).json()).isEqualTo(invalid("state: " + message, "state", message));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "long key   | LONG_TEXT | String is too long (201 > 200)",
  })
  void aBadIdempotencyKeyAnswersTheSameProblem(String name, String key, String message) {
    RunningService.Response r = fetchd.post("/jobs", "{\"type\":\"download\",\"urls\":[\"http://127.0.0.1:1/x\"]}",
        "Idempotency-Key", key.replace("LONG_TEXT", LONG_TEXT));
    assertThat(r.json()).isEqualTo(invalid("Idempotency-Key: " + message, "Idempotency-Key", message));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
      "no body        | ~~                    | /: a JSON body is required                       | [{\"field\":\"/\",\"message\":\"a JSON body is required\"}]",
      "an array       | [1]                   | /: Instance type array is invalid. Expected object | [{\"field\":\"/\",\"message\":\"Instance type array is invalid. Expected object\"}]",
      "not JSON       | {\"type\":            | /: the body is not valid JSON                    | [{\"field\":\"/\",\"message\":\"the body is not valid JSON\"}]",
      "two fields     | {\"type\":\"download\",\"urls\":[\"ftp://x\"],\"limits\":{\"speed\":1,\"retries\":\"3\"}} | 2 fields are invalid | [{\"field\":\"/limits/retries\",\"message\":\"Instance type string is invalid. Expected integer\"},{\"field\":\"/limits/speed\",\"message\":\"unknown field\"}]",
      "required, few  | {\"urls\":[]}         | 2 fields are invalid | [{\"field\":\"/type\",\"message\":\"is required\"},{\"field\":\"/urls\",\"message\":\"has too few items\"}]",
  })
  void aBadBodyAnswersTheSameProblem(String name, String body, String detail, String errors) {
    RunningService.Response r = fetchd.post("/jobs", body == null ? "" : body);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json()).isEqualTo(new JsonObject().put("type", "https://fetchd.dev/problems/invalid-request")
        .put("title", "The request is invalid").put("status", 400).put("detail", detail)
        .put("errors", new JsonArray(errors)));
  }

  private static JsonObject invalid(String detail, String field, String message) {
    return new JsonObject().put("type", "https://fetchd.dev/problems/invalid-request")
        .put("title", "The request is invalid").put("status", 400).put("detail", detail)
        .put("errors", new JsonArray().add(new JsonObject().put("field", field).put("message", message)));
  }
}
