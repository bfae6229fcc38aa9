package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every bad input gets a problem answer naming the field at fault, and creates nothing. */
class BadInputTest {
  static RunningService fetchd;

  @BeforeAll
  static void start() {
    fetchd = RunningService.start(Map.of("jobs.maxUrls", 5, "http.maxBodyBytes", 4096));
  }

  @AfterAll
  static void stop() {
    fetchd.close();
  }

  @AfterEach
  void nothingWasCreated() {
    assertThat(fetchd.get("/jobs").json().getJsonArray("jobs")).isEmpty();
    assertThat(fetchd.metric("fetchd_jobs_submitted_total")).isZero();
  }

  private static JsonObject problem(RunningService.Response r, int status) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).isEqualTo("application/problem+json");
    JsonObject p = r.json();
    assertThat(p.getInteger("status")).isEqualTo(status);
    assertThat(p.getString("type")).isNotBlank();
    assertThat(p.getString("title")).isNotBlank();
    assertThat(p.getString("detail")).isNotBlank();
    return p;
  }

  private static List<String> fields(JsonObject problem) {
    List<String> out = new ArrayList<>();
    JsonArray errors = problem.getJsonArray("errors", new JsonArray());
    errors.forEach(e -> out.add(((JsonObject) e).getString("field")));
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "missing type            | {\"urls\":[\"http://example.com/\"]}                                  | /type",
      "unknown type            | {\"type\":\"mirror\",\"urls\":[\"http://example.com/\"]}              | /type",
      "missing urls            | {\"type\":\"download\"}                                               | /urls",
      "empty urls              | {\"type\":\"download\",\"urls\":[]}                                   | /urls",
      "urls not an array       | {\"type\":\"download\",\"urls\":\"http://example.com/\"}              | /urls",
      "url not a string        | {\"type\":\"download\",\"urls\":[42]}                                 | /urls/0",
      "ftp scheme              | {\"type\":\"download\",\"urls\":[\"http://a.com/\",\"ftp://example.com/x\"]} | /urls/1",
      "file scheme             | {\"type\":\"download\",\"urls\":[\"file:///etc/passwd\"]}              | /urls/0",
      "unparsable url          | {\"type\":\"download\",\"urls\":[\"http://exa mple.com/\"]}            | /urls/0",
      "relative url            | {\"type\":\"download\",\"urls\":[\"/just/a/path\"]}                    | /urls/0",
      "user info               | {\"type\":\"download\",\"urls\":[\"http://u:p@example.com/\"]}          | /urls/0",
      "too many urls           | {\"type\":\"download\",\"urls\":[\"http://a.com/1\",\"http://a.com/2\",\"http://a.com/3\",\"http://a.com/4\",\"http://a.com/5\",\"http://a.com/6\"]} | /urls",
      "negative concurrency    | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"limits\":{\"concurrency\":-1}} | /limits/concurrency",
      "absurd concurrency      | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"limits\":{\"concurrency\":1000000}} | /limits/concurrency",
      "tiny request timeout    | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"limits\":{\"requestTimeoutMs\":5}} | /limits/requestTimeoutMs",
      "string retries          | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"limits\":{\"retries\":\"3\"}} | /limits/retries",
      "negative maxBytes       | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"limits\":{\"maxBytes\":-5}} | /limits/maxBytes",
      "unknown limit           | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"limits\":{\"speed\":5}} | /limits/speed",
      "unknown field           | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"colour\":\"red\"} | /colour",
      "priority out of range   | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"priority\":5000} | /priority",
      "label not a string      | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"labels\":{\"team\":5}} | /labels/team",
      "crawl options on download | {\"type\":\"download\",\"urls\":[\"http://a.com/\"],\"crawl\":{\"maxDepth\":2}} | /crawl",
  })
  void badJobSubmissionsAre400NamingTheField(String name, String body, String field) {
    JsonObject p = problem(fetchd.post("/jobs", body), 400);
    // exactly the field at fault: no echoes of the validator's wrapper units
    assertThat(fields(p)).as(p.encode()).containsExactly(field);
  }

  @Test
  void malformedJsonIs400() {
    problem(fetchd.post("/jobs", "{\"type\": \"download\", \"urls\": [ "), 400);
  }

  @Test
  void aBodyThatIsNotAnObjectIs400() {
    problem(fetchd.post("/jobs", "[1,2,3]"), 400);
  }

  @Test
  void aBodyOverTheSizeLimitIs413() {
    String big = "{\"type\":\"download\",\"urls\":[\"http://a.com/" + "x".repeat(8000) + "\"]}";
    problem(fetchd.post("/jobs", big), 413);
  }

  @Test
  void badQueryParametersAre400() {
    assertThat(fields(problem(fetchd.get("/jobs?limit=0"), 400))).containsExactly("limit");
    assertThat(fields(problem(fetchd.get("/jobs?state=sleeping"), 400))).containsExactly("state");
    problem(fetchd.get("/jobs?limit=abc"), 400);
    problem(fetchd.get("/jobs?state=sleeping"), 400);
    problem(fetchd.get("/jobs?cursor=not-a-cursor"), 400);
    problem(fetchd.get("/jobs/x?wait=9999"), 400);
  }

  @Test
  void unknownRoutesAre404Problems() {
    problem(fetchd.get("/nowhere"), 404);
  }

  @Test
  void invalidSubmissionsAreCounted() {
    double before = fetchd.metric("fetchd_jobs_rejected_total", "reason", "invalid");
    problem(fetchd.post("/jobs", "{\"type\":\"mirror\",\"urls\":[\"http://a.com/\"]}"), 400);
    problem(fetchd.post("/jobs", "{\"type\": "), 400);
    problem(fetchd.post("/jobs", "{\"type\":\"download\",\"urls\":[\"http://a.com/" + "x".repeat(8000) + "\"]}"), 413);
    // not submissions: not counted
    problem(fetchd.get("/jobs?limit=0"), 400);
    assertThat(fetchd.metric("fetchd_jobs_rejected_total", "reason", "invalid")).isEqualTo(before + 3);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "bad escape in path        | GET /jobs/%zz HTTP/1.1                 | 400",
      "truncated escape in path  | GET /jobs/abc% HTTP/1.1                | 400",
      "bad escape in cursor      | GET /jobs?cursor=%%%% HTTP/1.1         | 400",
      "bad escape in item cursor | GET /jobs/x/items?cursor=%zz HTTP/1.1  | 400",
      "bad escape in query name  | GET /jobs?%zz=1 HTTP/1.1               | 400",
      "method not allowed        | PATCH /jobs HTTP/1.1                   | 405",
      "not HTTP                  | HELLO                                  | 400",
  })
  void badPercentEncodingAnswersProblemJson(String name, String requestLine, int status) throws Exception {
    RawAnswer a = raw(requestLine + "\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertThat(a.status).as(a.text).isEqualTo(status);
    assertThat(a.header("content-type")).as(a.text).isEqualTo("application/problem+json");
    JsonObject p = new JsonObject(a.body);
    assertThat(p.getInteger("status")).isEqualTo(status);
    assertThat(p.getString("detail")).isNotBlank();
  }

  @Test
  void oversizedRequestLineAndHeadersAnswerProblemJson() throws Exception {
    RawAnswer longLine = raw("GET /jobs?x=" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(longLine.status).isEqualTo(414);
    assertThat(longLine.header("content-type")).isEqualTo("application/problem+json");
    RawAnswer bigHeaders = raw("GET /jobs HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000) + "\r\n\r\n");
    assertThat(bigHeaders.status).isEqualTo(431);
    assertThat(bigHeaders.header("content-type")).isEqualTo("application/problem+json");
  }

  record RawAnswer(int status, java.util.Map<String, String> headers, String body, String text) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** One request written as raw bytes (java.net.http refuses malformed URIs), the answer read to its end. */
  static RawAnswer raw(String request) throws Exception {
    int port = java.net.URI.create(fetchd.baseUrl()).getPort();
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      java.io.InputStream in = s.getInputStream();
      String head = readHead(in);
      String[] lines = head.split("\r\n");
      java.util.Map<String, String> headers = new java.util.HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      String body = new String(in.readNBytes(length), java.nio.charset.StandardCharsets.UTF_8);
      return new RawAnswer(Integer.parseInt(lines[0].split(" ")[1]), headers, body, head + body);
    }
  }

  private static String readHead(java.io.InputStream in) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      sb.append((char) c);
      if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
        break;
      }
    }
    return sb.toString();
  }
}
