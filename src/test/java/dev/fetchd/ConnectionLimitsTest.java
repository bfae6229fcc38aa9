package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.api.ApiServer;
import dev.fetchd.testkit.RunningService;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The API's connections are a bounded resource (issue 11): idle connections are closed, slow heads and
 * bodies meet a deadline, connections past the cap are refused at once, and /health/live keeps answering
 * through all of it. Real sockets against a running fetchd. The machine's fd limit is 20,000 and both ends of
 * every connection live in this JVM, so counts stay below 2 x 5,000.
 */
class ConnectionLimitsTest {

  @Test
  void idleConnectionsAreClosedAndHealthStaysFast() throws Exception {
    long idleMs = 3_000;
    try (RunningService fetchd = RunningService.start(Map.of("http.idleTimeoutMs", idleMs))) {
      List<Conn> idle = new ArrayList<>();
      try {
        // in batches, each followed by a health check: it is answered within 1 s at every step, and the
        // server has accepted the batch before the next one comes (a burst of thousands of accepts in one
        // event-loop turn is its own, different, load)
        for (int i = 0; i < 5_000; i++) {
          idle.add(Conn.open(fetchd));
          if (i % 250 == 249) {
            healthWithinOneSecond(fetchd);
          }
        }
        long allOpen = System.nanoTime();
        for (int i = 0; i < 5; i++) {
          healthWithinOneSecond(fetchd);
        }
        // the newest of them are younger than the idle timeout: not closed yet
        assertThat(idle.subList(4_900, 5_000).stream().filter(Conn::closed).count()).isZero();
        RunningService.await("5,000 idle connections closed", Duration.ofMillis(idleMs + 20_000),
            () -> idle.stream().allMatch(Conn::closed));
        assertThat(Duration.ofNanos(System.nanoTime() - allOpen)).isGreaterThan(Duration.ofMillis(idleMs / 2));
      } finally {
        idle.forEach(Conn::close);
      }
      assertThat(fetchd.get("/health/live").status()).isEqualTo(200);
    }
  }

  @Test
  void slowHeaderConnectionsAreClosedByHeaderDeadline() throws Exception {
    long headerMs = 1_500;
    try (RunningService fetchd = RunningService.start(Map.of("http.headerTimeoutMs", headerMs))) {
      List<Conn> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 1_000; i++) {
          Conn c = Conn.open(fetchd);
          c.send("GET /health/live HTTP/1.1\r\nHost: x\r\n");
          slow.add(c);
        }
        long deadline = System.nanoTime() + Duration.ofMillis(headerMs + 15_000).toNanos();
        int line = 0;
        // a header line from each every 200 ms: never idle, never finished
        while (!slow.stream().allMatch(Conn::closed)) {
          assertThat(System.nanoTime()).as("slow-header connections still open").isLessThan(deadline);
          for (Conn c : slow) {
            c.send("X-Slow-" + line + ": y\r\n");
          }
          line++;
          Thread.sleep(200);
        }
        for (Conn c : slow) {
          assertThat(c.closedAfter()).as("closed by the header deadline, not before")
              .isGreaterThanOrEqualTo(Duration.ofMillis(headerMs - 100));
        }
        assertThat(rawStatus(fetchd, "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
            .isEqualTo(200);
      } finally {
        slow.forEach(Conn::close);
      }
    }
  }

  @Test
  void slowBodyConnectionsAreClosedByBodyDeadline() throws Exception {
    long bodyMs = 1_500;
    try (RunningService fetchd = RunningService.start(Map.of("http.bodyTimeoutMs", bodyMs))) {
      List<Conn> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 200; i++) {
          Conn c = Conn.open(fetchd);
          c.send("POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
          slow.add(c);
        }
        long deadline = System.nanoTime() + Duration.ofMillis(bodyMs + 15_000).toNanos();
        while (!slow.stream().allMatch(Conn::closed)) {
          assertThat(System.nanoTime()).as("slow-body connections still open").isLessThan(deadline);
          for (Conn c : slow) {
            c.send(" ");
          }
          Thread.sleep(200);
        }
        for (Conn c : slow) {
          assertThat(c.closedAfter()).isGreaterThanOrEqualTo(Duration.ofMillis(bodyMs - 100));
        }
      } finally {
        slow.forEach(Conn::close);
      }
      assertThat(fetchd.get("/health/live").status()).isEqualTo(200);
    }
  }

  @Test
  void longPollOutlivesIdleTimeout() throws Exception {
    // a job that stays running without fetching: its second URL waits out the host's delay
    try (RunningService fetchd = RunningService.start(Map.of("http.idleTimeoutMs", 1_000, "allowPrivateNetworks", false))) {
      String id = fetchd.submitDownload(List.of("http://10.9.9.9/a", "http://10.9.9.9/b"),
          new io.vertx.core.json.JsonObject().put("perHostConcurrency", 1).put("perHostDelayMs", 60_000)).getString("id");
      long t0 = System.nanoTime();
      // nothing moves on the connection for 3 s, but a request is in progress: not idle
      RunningService.Response r = fetchd.get("/jobs/" + id + "?wait=3");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().getString("state")).isEqualTo("running");
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(2_900));
      fetchd.delete("/jobs/" + id);
    }
  }

  @Test
  void connectionsBeyondCapAreRefused() throws Exception {
    int cap = 300;
    try (RunningService fetchd = RunningService.start(Map.of("http.maxConnections", cap))) {
      List<Conn> held = new ArrayList<>();
      List<Conn> beyond = new ArrayList<>();
      try {
        // fill the cap with kept-alive connections, each known to the server (it answered them)
        for (int i = 0; i < cap; i++) {
          Conn c = Conn.open(fetchd);
          c.send("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
          held.add(c);
          RunningService.await("an answer under the cap", Duration.ofSeconds(5), c::answered);
        }
        // past the cap, a small reserve for health checks; past that, closed as soon as accepted
        for (int i = 0; i < ApiServer.HEALTH_RESERVE + 50; i++) {
          beyond.add(Conn.open(fetchd));
        }
        List<Conn> last = beyond.subList(ApiServer.HEALTH_RESERVE, beyond.size());
        RunningService.await("connections past the cap closed", Duration.ofSeconds(10),
            () -> last.stream().filter(Conn::closed).count() == last.size());
        for (Conn c : last) {
          assertThat(c.closedAfter()).as("refused at once").isLessThan(Duration.ofMillis(700));
        }
        // the reserve's idle connections are let go quickly too
        RunningService.await("reserve connections closed", Duration.ofSeconds(10),
            () -> beyond.stream().allMatch(Conn::closed));
        assertThat(held.stream().filter(Conn::closed).count()).as("connections under the cap stay").isLessThanOrEqualTo(2);

        // at the cap, health checks are still answered (and only they)
        for (String path : List.of("/health/live", "/health/ready")) {
          long t0 = System.nanoTime();
          assertThat(rawStatus(fetchd, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")).isEqualTo(200);
          assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
        }
        String refused = rawAnswer(fetchd, "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: 2\r\n\r\n{}");
        assertThat(refused).startsWith("HTTP/1.1 503").contains("application/problem+json").contains("Retry-After");
      } finally {
        held.forEach(Conn::close);
        beyond.forEach(Conn::close);
      }
      RunningService.await("connections given back", Duration.ofSeconds(10),
          () -> fetchd.get("/metrics").status() == 200);
      assertThat(fetchd.metric("fetchd_http_connections_refused_total")).isGreaterThanOrEqualTo(50);
    }
  }

  @Test
  void requestBodiesInFlightAreBounded() throws Exception {
    int limit = 1 << 20;
    try (RunningService fetchd = RunningService.start(Map.of("http.maxBodyBytes", limit,
        "http.maxBodyBytesInFlight", 2 * limit))) {
      String head = "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
          + (limit - 1000) + "\r\n\r\n";
      List<Conn> slow = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          Conn c = Conn.open(fetchd);
          c.send(head + "{");
          slow.add(c);
        }
        // two bodies of nearly the limit are being read: a third is refused before it is read
        RunningService.await("a third large body refused", Duration.ofSeconds(10), () -> {
          try {
            return rawAnswer(fetchd, head).startsWith("HTTP/1.1 503");
          } catch (IOException e) {
            return false;
          }
        });
        String refused = rawAnswer(fetchd, head);
        assertThat(refused).contains("application/problem+json").contains("Retry-After");
        // small ones still fit
        assertThat(rawStatus(fetchd, "POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: 2\r\nConnection: close\r\n\r\n{}")).isEqualTo(400);
      } finally {
        slow.forEach(Conn::close);
      }
      // once those are gone, a large body is read again
      String whole = head + " ".repeat(limit - 1002) + "{}";
      RunningService.await("a large body read again", Duration.ofSeconds(10), () -> {
        try {
          return rawAnswer(fetchd, whole).startsWith("HTTP/1.1 400");
        } catch (IOException e) {
          return false;
        }
      });
    }
  }

  private static void healthWithinOneSecond(RunningService fetchd) throws IOException {
    long t0 = System.nanoTime();
    assertThat(rawStatus(fetchd, "GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("health check with idle connections open")
        .isLessThan(Duration.ofSeconds(1));
  }

  private static int rawStatus(RunningService fetchd, String request) throws IOException {
    String answer = rawAnswer(fetchd, request);
    return Integer.parseInt(answer.split(" ", 3)[1]);
  }

  /** Sends one request on a new connection; returns the status line and headers. */
  private static String rawAnswer(RunningService fetchd, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", URI.create(fetchd.baseUrl()).getPort())) {
      s.setSoTimeout(5_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
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

  /** A raw client connection, non-blocking once connected, that notices when the server closes it. */
  static final class Conn {
    private final SocketChannel ch;
    private final long opened = System.nanoTime();
    private long closedAt;

    private Conn(SocketChannel ch) {
      this.ch = ch;
    }

    static Conn open(RunningService fetchd) throws IOException {
      SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", URI.create(fetchd.baseUrl()).getPort()));
      ch.configureBlocking(false);
      return new Conn(ch);
    }

    void send(String s) {
      if (closedAt != 0) {
        return;
      }
      try {
        ch.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)));
      } catch (IOException e) {
        closedAt = System.nanoTime();
      }
    }

    /** Whether some answer arrived (and was dropped); false once closed. */
    boolean answered() {
      try {
        return ch.read(ByteBuffer.allocate(4096)) > 0;
      } catch (IOException e) {
        closedAt = System.nanoTime();
        return false;
      }
    }

    /** Whether the server closed it (EOF or reset); reads and drops anything it answered. */
    boolean closed() {
      if (closedAt != 0) {
        return true;
      }
      try {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        int n;
        while ((n = ch.read(buf)) > 0) {
          buf.clear();
        }
        if (n < 0) {
          closedAt = System.nanoTime();
        }
      } catch (IOException e) {
        closedAt = System.nanoTime();
      }
      return closedAt != 0;
    }

    /** How long after it was opened it was found closed. */
    Duration closedAfter() {
      return Duration.ofNanos(closedAt - opened);
    }

    void close() {
      try {
        ch.close();
      } catch (IOException ignored) {
        // already gone
      }
    }
  }
}
