package dev.fetchd.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Checks the test kit itself, with the JDK's HttpClient (HTTP/1.1) as an independent client. */
@Timeout(30)
class TargetServerTest {

  private static TargetServer target;
  private static HttpClient client;
  private static HttpClient following;

  @BeforeAll
  static void startTarget() {
    target = TargetServer.start();
    client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    following = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
  }

  @AfterAll
  static void stopTarget() {
    target.close();
    target.close(); // idempotent
  }

  @BeforeEach
  void reset() throws InterruptedException {
    assertThat(target.awaitIdle(Duration.ofSeconds(5))).isTrue();
    target.resetCounters();
  }

  private static HttpRequest.Builder req(String pathAndQuery) {
    return HttpRequest.newBuilder(URI.create(target.url(pathAndQuery))).timeout(Duration.ofSeconds(5));
  }

  private static HttpResponse<byte[]> get(String pathAndQuery) throws Exception {
    return client.send(req(pathAndQuery).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void bytesServeDeterministicBodiesWithLengthTypeAndStatus() throws Exception {
    HttpResponse<byte[]> a = get("/bytes/alpha?size=100000");
    assertThat(a.statusCode()).isEqualTo(200);
    assertThat(a.headers().firstValue("content-length")).hasValue("100000");
    assertThat(a.headers().firstValue("content-type")).hasValue("application/octet-stream");
    assertThat(a.body()).hasSize(100000).isEqualTo(TargetServer.body("alpha", 100000));
    assertThat(TargetServer.sha256Hex(a.body())).isEqualTo(TargetServer.sha256("alpha", 100000));

    HttpResponse<byte[]> b = get("/bytes/beta?size=100000");
    assertThat(TargetServer.sha256Hex(b.body())).isNotEqualTo(TargetServer.sha256("alpha", 100000))
        .isEqualTo(TargetServer.sha256("beta", 100000));

    assertThat(get("/bytes/dflt").body()).isEqualTo(TargetServer.body("dflt", 1024));
    assertThat(get("/bytes/empty?size=0").body()).isEmpty();
    assertThat(TargetServer.sha256("empty", 0))
        .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    HttpResponse<byte[]> t = get("/bytes/img/logo.png?size=10&status=404&type=image/png");
    assertThat(t.statusCode()).isEqualTo(404);
    assertThat(t.headers().firstValue("content-type")).hasValue("image/png");
    assertThat(t.body()).isEqualTo(TargetServer.body("img/logo.png", 10));
    assertThat(target.requests("/bytes/img/logo.png")).isEqualTo(1);

    HttpResponse<byte[]> c = get("/chunked/alpha?size=200001");
    assertThat(c.headers().firstValue("content-length")).isEmpty();
    assertThat(c.headers().firstValue("transfer-encoding")).hasValue("chunked");
    assertThat(TargetServer.sha256Hex(c.body())).isEqualTo(TargetServer.sha256("alpha", 200001));

    assertThat(get("/bytes/x?size=abc").statusCode()).isEqualTo(400);
    assertThat(target.requests()).isEqualTo(7);
  }

  @Test
  void validatedPagesAnswer304ToMatchingValidatorsAndCountFullResponses() throws Exception {
    target.validated("/v/both", "text/plain", "one".getBytes(StandardCharsets.UTF_8), true, true);
    target.validated("/v/date", "text/plain", "date only".getBytes(StandardCharsets.UTF_8), false, true);
    HttpResponse<byte[]> first = get("/v/both");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).asString().isEqualTo("one");
    String etag = first.headers().firstValue("ETag").orElseThrow();
    String lastModified = first.headers().firstValue("Last-Modified").orElseThrow();
    assertThat(etag).isEqualTo(target.etag("/v/both")).startsWith("\"");

    HttpResponse<byte[]> same = client.send(req("/v/both").header("If-None-Match", etag).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(same.statusCode()).isEqualTo(304);
    assertThat(same.body()).isEmpty();
    assertThat(same.headers().firstValue("ETag")).hasValue(etag);
    assertThat(client.send(req("/v/both").header("If-None-Match", "W/" + etag + ", \"other\"").build(),
        HttpResponse.BodyHandlers.ofByteArray()).statusCode()).as("weak comparison, a list").isEqualTo(304);
    // If-None-Match decides when present: a matching date does not make a stale tag match
    assertThat(client.send(req("/v/both").header("If-None-Match", "\"other\"").header("If-Modified-Since", lastModified)
        .build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(200);
    assertThat(client.send(req("/v/both").header("If-Modified-Since", lastModified).build(),
        HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(304);

    HttpResponse<byte[]> dated = get("/v/date");
    assertThat(dated.headers().firstValue("ETag")).isEmpty();
    String date = dated.headers().firstValue("Last-Modified").orElseThrow();
    assertThat(client.send(req("/v/date").header("If-Modified-Since", date).build(),
        HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(304);
    assertThat(client.send(req("/v/date").header("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT").build(),
        HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(200);

    // a new body: a new tag and a later date, so the old validators no longer match
    target.validated("/v/both", "text/plain", "two".getBytes(StandardCharsets.UTF_8), true, true);
    HttpResponse<byte[]> changed = client.send(req("/v/both").header("If-None-Match", etag).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.body()).asString().isEqualTo("two");
    assertThat(changed.headers().firstValue("ETag").orElseThrow()).isNotEqualTo(etag);
    assertThat(client.send(req("/v/both").header("If-Modified-Since", lastModified).build(),
        HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(200);

    assertThat(target.fullResponses("/v/both")).isEqualTo(4);
    assertThat(target.notModified("/v/both")).isEqualTo(3);
    assertThat(target.fullResponses()).isEqualTo(6);
    assertThat(target.notModified()).isEqualTo(4);
    target.resetCounters();
    assertThat(target.fullResponses()).isZero();
    assertThat(target.notModified("/v/both")).isZero();
  }

  @Test
  void generatorIsRandomAccess() {
    byte[] whole = TargetServer.body("ra", 1000);
    byte[] part = new byte[101];
    TargetServer.fill(TargetServer.seed("ra", 1000), 13, part, 0, part.length);
    assertThat(part).isEqualTo(Arrays.copyOfRange(whole, 13, 114));
  }

  @Test
  void bigBodyIsStreamedAndMatchesSha() throws Exception {
    long size = 32L * 1024 * 1024 + 5;
    HttpResponse<InputStream> r = client.send(req("/big/huge?size=" + size).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.headers().firstValue("content-length")).hasValue(Long.toString(size));
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    long n = 0;
    try (InputStream in = r.body()) {
      byte[] buf = new byte[1 << 16];
      for (int k; (k = in.read(buf)) >= 0; ) {
        md.update(buf, 0, k);
        n += k;
      }
    }
    assertThat(n).isEqualTo(size);
    assertThat(HexFormat.of().formatHex(md.digest())).isEqualTo(TargetServer.sha256("huge", size));
  }

  @Test
  void statusRetryAfterAndNotFound() throws Exception {
    HttpResponse<byte[]> r = get("/status/503?retryAfter=7");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("retry-after")).hasValue("7");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("status 503\n");
    assertThat(get("/status/429").headers().firstValue("retry-after")).isEmpty();
    assertThat(get("/status/204").statusCode()).isEqualTo(204);
    assertThat(get("/nothing/here").statusCode()).isEqualTo(404);
    assertThat(get("/html/unregistered").statusCode()).isEqualTo(404);

    long t0 = System.nanoTime();
    assertThat(get("/status/200?delay=150").statusCode()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
  }

  @Test
  void registeredPages() throws Exception {
    target.html("/html/index", "<a href=\"/html/a\">a</a>")
        .page("/robots.txt", "text/plain", "User-agent: *\nDisallow: /private\n");
    HttpResponse<byte[]> r = get("/html/index?ignored=1");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("<a href=\"/html/a\">a</a>");
    assertThat(new String(get("/robots.txt").body(), StandardCharsets.UTF_8)).startsWith("User-agent: *");
    target.removePage("/robots.txt");
    assertThat(get("/robots.txt").statusCode()).isEqualTo(404);
  }

  @Test
  void redirectChainsHaveExactlyNHops() throws Exception {
    String start = "/redirect/3?to=" + enc("/bytes/r?size=10");
    URI uri = URI.create(target.url(start));
    int hops = 0;
    HttpResponse<byte[]> r;
    while (true) {
      r = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 302) {
        break;
      }
      hops++;
      String loc = r.headers().firstValue("location").orElseThrow();
      assertThat(loc).startsWith("/"); // relative by default
      uri = uri.resolve(loc);
    }
    assertThat(hops).isEqualTo(3);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(TargetServer.body("r", 10));
    assertThat(target.requests("/redirect/3")).isEqualTo(1);
    assertThat(target.requests("/redirect/1")).isEqualTo(1);
    assertThat(target.requests("/bytes/r")).isEqualTo(1);

    HttpResponse<byte[]> abs = get("/redirect/2?abs=true&to=" + enc("/status/201"));
    assertThat(abs.headers().firstValue("location").orElseThrow())
        .isEqualTo(target.url("/redirect/1?to=" + enc("/status/201") + "&abs=true"));
    assertThat(following.send(req("/redirect/2?abs=true&to=" + enc("/status/201")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);

    assertThat(get("/redirect/0?to=" + enc("/status/418")).statusCode()).isEqualTo(418);
    assertThat(get("/loop/x?a=1").headers().firstValue("location")).hasValue("/loop/x?a=1");
    HttpResponse<byte[]> ext = get("/redirect-abs?to=" + enc("http://example.invalid/p?q=1"));
    assertThat(ext.statusCode()).isEqualTo(302);
    assertThat(ext.headers().firstValue("location")).hasValue("http://example.invalid/p?q=1");
  }

  @Test
  void flakyFailsFirstFThenServesTheBody() throws Exception {
    String url = "/flaky/f1?fail=2&size=10&retryAfter=1";
    HttpResponse<byte[]> r1 = get(url);
    assertThat(r1.statusCode()).isEqualTo(503);
    assertThat(r1.headers().firstValue("retry-after")).hasValue("1");
    assertThat(get(url).statusCode()).isEqualTo(503);
    HttpResponse<byte[]> ok = get(url);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body()).isEqualTo(TargetServer.body("f1", 10));
    assertThat(get(url).statusCode()).isEqualTo(200);
    assertThat(target.requests("/flaky/f1")).isEqualTo(4);

    assertThat(get("/flaky/f2?code=500").statusCode()).isEqualTo(500); // fail defaults to 1, separate counter
    assertThat(get("/flaky/f2?code=500").statusCode()).isEqualTo(200);
    target.resetCounters(); // also forgets flaky counts
    assertThat(get("/flaky/f2?code=500").statusCode()).isEqualTo(500);
  }

  @Test
  void countsConcurrency() throws Exception {
    assertConcurrency(target);
    assertThat(target.requestLog()).hasSize(10).allMatch(s -> s.startsWith("GET /bytes/c"));
    assertThat(target.lastHeader("user-agent")).startsWith("Java-http-client");
    target.resetCounters();
    assertThat(target.requests()).isZero();
    assertThat(target.maxInFlight()).isZero();
    assertThat(target.maxInFlightForPrefix("/bytes/")).isZero();
    assertThat(target.requestLog()).isEmpty();
  }

  @Test
  void countsConcurrencyOverSeveralEventLoops() throws Exception {
    try (TargetServer multi = TargetServer.start(4)) {
      multi.watchPrefix("/bytes/c");
      assertConcurrency(multi);
    }
  }

  private static void assertConcurrency(TargetServer t) throws Exception {
    List<CompletableFuture<HttpResponse<byte[]>>> all = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      HttpRequest r = HttpRequest.newBuilder(URI.create(t.url("/bytes/c" + i + "?delay=200&size=10"))).build();
      all.add(client.sendAsync(r, HttpResponse.BodyHandlers.ofByteArray()));
    }
    for (CompletableFuture<HttpResponse<byte[]>> f : all) {
      assertThat(f.get().statusCode()).isEqualTo(200);
    }
    assertThat(t.awaitIdle(Duration.ofSeconds(2))).isTrue();
    assertThat(t.requests()).isEqualTo(10);
    assertThat(t.maxInFlight()).isEqualTo(10);
    assertThat(t.maxInFlightForPrefix("/bytes/c")).isEqualTo(10);
    assertThat(t.maxInFlightForPrefix("/bytes/c3")).isEqualTo(1);
    assertThat(t.maxInFlightForPrefix("/status")).isZero();
    assertThat(t.inFlight()).isZero();
  }

  @Test
  void resetFailsOnTheClient() throws Exception {
    assertThatThrownBy(() -> get("/reset/r?size=100000&after=1000")).isInstanceOf(IOException.class);
    assertThat(target.awaitIdle(Duration.ofSeconds(2))).isTrue();
  }

  @Test
  void shortBodyFailsOnTheClient() throws Exception {
    assertThatThrownBy(() -> get("/short/s?size=1000&send=10")).isInstanceOf(IOException.class);
    assertThat(target.awaitIdle(Duration.ofSeconds(2))).isTrue();
  }

  /** On the wire: /reset ends with a TCP RST after K body bytes, /short with a FIN (EOF) after K body bytes. */
  @Test
  void resetIsARstAndShortIsAnEof() throws Exception {
    assertThat(rawRead("/reset/r?size=5000&after=300")).isEqualTo("reset after 300 body bytes");
    assertThat(rawRead("/reset/r?size=5000&after=0")).isEqualTo("reset after 0 body bytes");
    assertThat(rawRead("/short/s?size=5000&send=300")).isEqualTo("EOF after 300 body bytes");
  }

  private static String rawRead(String path) throws IOException {
    try (Socket s = new Socket(TargetServer.HOST, target.port())) {
      s.setSoTimeout(5000);
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      String end;
      try {
        for (int k; (k = in.read(buf)) >= 0; ) {
          got.write(buf, 0, k);
        }
        end = "EOF";
      } catch (SocketException e) {
        assertThat(e.getMessage()).containsIgnoringCase("reset");
        end = "reset";
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      int head = text.indexOf("\r\n\r\n");
      assertThat(head).isPositive();
      assertThat(text).contains("content-length: 5000");
      return end + " after " + (text.length() - head - 4) + " body bytes";
    }
  }

  @Test
  void stallNeverAnswers() throws Exception {
    HttpRequest r = req("/stall").timeout(Duration.ofMillis(300)).build();
    long t0 = System.nanoTime();
    assertThatThrownBy(() -> client.send(r, HttpResponse.BodyHandlers.ofByteArray()))
        .isInstanceOf(HttpTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    assertThat(target.requests("/stall")).isEqualTo(1);
    // the client dropped the connection on timeout: the server noticed and cleaned up
    assertThat(target.awaitIdle(Duration.ofSeconds(3))).isTrue();
  }

  @Test
  void dripSendsOneByteAtATime() throws Exception {
    long t0 = System.nanoTime();
    HttpResponse<byte[]> r = get("/drip/d?bytes=3&intervalMs=50");
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
    assertThat(r.headers().firstValue("content-length")).isEmpty();
    assertThat(r.body()).isEqualTo(TargetServer.body("d", 3));

    HttpResponse<InputStream> forever = client.send(req("/drip/forever?intervalMs=20").build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(forever.statusCode()).isEqualTo(200);
    try (InputStream in = forever.body()) {
      assertThat(in.readNBytes(2)).hasSize(2);
    }
    assertThat(target.awaitIdle(Duration.ofSeconds(3))).isTrue();
  }

  @Test
  void endlessStreamsUntilTheClientLeaves() throws Exception {
    HttpResponse<InputStream> r = client.send(req("/endless").build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = r.body()) {
      byte[] got = in.readNBytes(4 << 20);
      assertThat(got).hasSize(4 << 20).containsOnly((byte) 0);
    }
    assertThat(target.awaitIdle(Duration.ofSeconds(3))).isTrue();
  }
}
