package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * GET and HEAD of /jobs/{id}/items/{n}/content as a download tool or browser sees them: validators and
 * conditional requests, byte ranges, and the file name offered. Raw requests with Vert.x's HttpClient (it adds
 * no headers of its own, as curl does not).
 */
class ItemContentTest {
  static final int SIZE = 2048;
  static TargetServer target;
  static RunningService fetchd;
  static Vertx vertx;
  static HttpClient http;
  static String content;
  static String sha256;
  static byte[] whole;

  record Answer(int status, MultiMap headers, byte[] body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    fetchd = RunningService.start();
    vertx = Vertx.vertx();
    http = vertx.createHttpClient();
    // a file whose name is not ASCII, behind a redirect: the name comes from the final URL
    String file = target.url("/bytes/docs/r%C3%A9sum%C3%A9%20%22final%22.pdf?size=" + SIZE);
    JsonObject job = fetchd.submitDownload(List.of(target.url("/redirect-abs?to=") + encode(file)), null);
    String id = job.getString("id");
    assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(30)).getString("state")).isEqualTo("completed");
    JsonObject item = fetchd.items(id).get(0);
    assertThat(item.getString("state")).isEqualTo("succeeded");
    content = item.getString("content");
    sha256 = item.getString("sha256");
    Answer a = call(HttpMethod.GET, content);
    assertThat(a.status()).isEqualTo(200);
    whole = a.body();
    assertThat(TargetServer.sha256Hex(whole)).isEqualTo(sha256);
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
    fetchd.close();
    target.close();
  }

  private static String encode(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  static Answer call(HttpMethod method, String uri, String... headers) {
    URI base = URI.create(fetchd.baseUrl());
    RequestOptions o = new RequestOptions().setMethod(method).setHost(base.getHost()).setPort(base.getPort())
        .setURI(uri);
    for (int i = 0; i + 1 < headers.length; i += 2) {
      o.addHeader(headers[i], headers[i + 1]);
    }
    try {
      return http.request(o).compose(req -> req.send().compose(resp -> resp.body()
              .map(body -> new Answer(resp.statusCode(), resp.headers(), body.getBytes()))))
          .await(20, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError(method + " " + uri + " did not answer", e);
    }
  }

  @Test
  void theWholeBodyComesWithAStrongETagLastModifiedAcceptRangesAndAnAttachmentName() {
    Answer a = call(HttpMethod.GET, content);
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.header("ETag")).isEqualTo("\"" + sha256 + "\"");
    assertThat(a.header("Accept-Ranges")).isEqualTo("bytes");
    assertThat(a.header("Content-Length")).isEqualTo(Integer.toString(SIZE));
    assertThat(a.header("X-Content-SHA256")).isEqualTo(sha256);
    ZonedDateTime modified = ZonedDateTime.parse(a.header("Last-Modified"), DateTimeFormatter.RFC_1123_DATE_TIME);
    assertThat(modified.toInstant()).isBetween(java.time.Instant.now().minusSeconds(300), java.time.Instant.now());
    // RFC 6266: an ASCII fallback with the quotes gone and the rest replaced, then the UTF-8 name
    assertThat(a.header("Content-Disposition")).isEqualTo(
        "attachment; filename=\"r_sum_ final.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20final.pdf");
    assertThat(a.body()).hasSize(SIZE);
  }

  @Test
  void ifNoneMatchWithTheETagAnswers304WithoutABody() {
    String etag = "\"" + sha256 + "\"";
    for (String inm : List.of(etag, "\"nope\", " + etag, "*", "W/" + etag)) {
      Answer a = call(HttpMethod.GET, content, "If-None-Match", inm);
      assertThat(a.status()).as(inm + ": " + new String(a.body())).isEqualTo(304);
      assertThat(a.body()).as(inm).isEmpty();
      assertThat(a.header("ETag")).isEqualTo(etag);
    }
    assertThat(call(HttpMethod.GET, content, "If-None-Match", "\"nope\"").status()).isEqualTo(200);
  }

  @Test
  void ifModifiedSinceAnswers304UnlessTheBodyIsNewerAndIfNoneMatchWins() {
    String lastModified = call(HttpMethod.HEAD, content).header("Last-Modified");
    assertThat(call(HttpMethod.GET, content, "If-Modified-Since", lastModified).status()).isEqualTo(304);
    String earlier = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.parse(lastModified, DateTimeFormatter.RFC_1123_DATE_TIME).minusHours(1));
    assertThat(call(HttpMethod.GET, content, "If-Modified-Since", earlier).status()).isEqualTo(200);
    // an If-None-Match that does not match decides: the date is not looked at
    assertThat(call(HttpMethod.GET, content, "If-None-Match", "\"nope\"", "If-Modified-Since", lastModified)
        .status()).isEqualTo(200);
    assertThat(call(HttpMethod.GET, content, "If-Modified-Since", "not a date").status()).isEqualTo(200);
  }

  @Test
  void oneRangeIsServedAs206WithItsContentRange() {
    Answer first = call(HttpMethod.GET, content, "Range", "bytes=0-99");
    assertThat(first.status()).isEqualTo(206);
    assertThat(first.header("Content-Range")).isEqualTo("bytes 0-99/" + SIZE);
    assertThat(first.header("Content-Length")).isEqualTo("100");
    assertThat(first.body()).isEqualTo(Arrays.copyOfRange(whole, 0, 100));

    Answer tail = call(HttpMethod.GET, content, "Range", "bytes=-100");
    assertThat(tail.status()).isEqualTo(206);
    assertThat(tail.header("Content-Range")).isEqualTo("bytes " + (SIZE - 100) + "-" + (SIZE - 1) + "/" + SIZE);
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(whole, SIZE - 100, SIZE));

    Answer open = call(HttpMethod.GET, content, "Range", "bytes=2000-");
    assertThat(open.status()).isEqualTo(206);
    assertThat(open.body()).isEqualTo(Arrays.copyOfRange(whole, 2000, SIZE));

    // a client that accepts gzip still gets the stored bytes: the range and the ETag name those
    Answer gz = call(HttpMethod.GET, content, "Range", "bytes=0-99", "Accept-Encoding", "gzip");
    assertThat(gz.header("Content-Encoding")).isNull();
    assertThat(gz.body()).isEqualTo(Arrays.copyOfRange(whole, 0, 100));

    Answer past = call(HttpMethod.GET, content, "Range", "bytes=1000-999999");
    assertThat(past.header("Content-Range")).isEqualTo("bytes 1000-" + (SIZE - 1) + "/" + SIZE);
    assertThat(past.body()).isEqualTo(Arrays.copyOfRange(whole, 1000, SIZE));
  }

  @Test
  void aRangePastTheEndIs416WithTheLength() {
    Answer a = call(HttpMethod.GET, content, "Range", "bytes=" + SIZE + "-");
    assertThat(a.status()).isEqualTo(416);
    assertThat(a.header("Content-Range")).isEqualTo("bytes */" + SIZE);
    assertThat(a.header("Content-Type")).isEqualTo("application/problem+json");
    assertThat(call(HttpMethod.GET, content, "Range", "bytes=-0").status()).isEqualTo(416);
  }

  @Test
  void severalRangesOrAStaleIfRangeGetTheWholeBody() {
    Answer multi = call(HttpMethod.GET, content, "Range", "bytes=0-9,20-29");
    assertThat(multi.status()).isEqualTo(200);
    assertThat(multi.body()).isEqualTo(whole);
    Answer stale = call(HttpMethod.GET, content, "Range", "bytes=0-9", "If-Range", "\"other\"");
    assertThat(stale.status()).isEqualTo(200);
    assertThat(stale.body()).isEqualTo(whole);
    Answer fresh = call(HttpMethod.GET, content, "Range", "bytes=0-9", "If-Range", "\"" + sha256 + "\"");
    assertThat(fresh.status()).isEqualTo(206);
    assertThat(call(HttpMethod.GET, content, "Range", "items=0-9").status()).as("not a byte range").isEqualTo(200);
  }

  /**
   * The stored bytes are sent as they are, never gzipped (the ETag and the ranges name them), and no answer says
   * {@code Content-Encoding: identity}: RFC 9110 (8.4.1) has it only in Accept-Encoding, never in Content-Encoding.
   */
  @Test
  void noAnswerIsCompressedOrSaysContentEncodingIdentity() {
    String etag = "\"" + sha256 + "\"";
    for (String accept : List.of("gzip, deflate, br", "identity")) {
      for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.HEAD)) {
        Answer whole200 = call(method, content, "Accept-Encoding", accept);
        Answer part206 = call(method, content, "Accept-Encoding", accept, "Range", "bytes=0-99");
        Answer same304 = call(method, content, "Accept-Encoding", accept, "If-None-Match", etag);
        assertThat(List.of(whole200.status(), part206.status(), same304.status()))
            .isEqualTo(List.of(200, method == HttpMethod.GET ? 206 : 200, 304));
        for (Answer a : List.of(whole200, part206, same304)) {
          assertThat(a.headers().getAll("Content-Encoding")).as("%s %d, Accept-Encoding: %s", method, a.status(),
              accept).isEmpty();
        }
        if (method == HttpMethod.GET) {
          assertThat(whole200.body()).isEqualTo(whole);
        }
      }
    }
  }

  @Test
  void headSendsTheHeadersOfGetWithoutTheBody() {
    Answer head = call(HttpMethod.HEAD, content);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.header("Content-Length")).isEqualTo(Integer.toString(SIZE));
    Answer get = call(HttpMethod.GET, content);
    for (String h : List.of("ETag", "Last-Modified", "Accept-Ranges", "Content-Type", "Content-Disposition",
        "X-Content-SHA256")) {
      assertThat(head.header(h)).as(h).isNotNull().isEqualTo(get.header(h));
    }
    assertThat(call(HttpMethod.HEAD, content, "If-None-Match", "\"" + sha256 + "\"").status()).isEqualTo(304);
    assertThat(call(HttpMethod.HEAD, content.replace("/items/0/", "/items/7/")).status()).isEqualTo(404);
  }

  @Test
  void aUrlThatNamesNoFileOffersANameOfTheItem() {
    target.html("/", "<p>hello</p>");
    JsonObject job = fetchd.submitDownload(List.of(target.url("/")), null);
    fetchd.awaitTerminal(job.getString("id"), Duration.ofSeconds(30));
    Answer a = call(HttpMethod.GET, "/jobs/" + job.getString("id") + "/items/0/content");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.header("Content-Disposition")).isEqualTo("attachment; filename=\"item-0\"");
  }
}
