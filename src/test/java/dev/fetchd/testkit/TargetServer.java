package dev.fetchd.testkit;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real HTTP/1.1 target server on 127.0.0.1 with scripted behaviour, for fetchd's tests and benchmarks.
 *
 * <p>It runs on its own Vert.x instance (never sharing event loops with the service under test) and picks a
 * free port. All behaviour is chosen by path and query, so a test only builds a URL with {@link #url(String)}.
 * Every endpoint accepts {@code delay=MS} (wait before answering anything; {@code /drip}, {@code /stall} and
 * {@code /endless} included). Names ({@code {name}}) are the rest of the path, taken verbatim (not
 * percent-decoded); they may contain slashes ({@code /bytes/img/logo.png}).
 *
 * <pre>
 * /bytes/{name}?size=N&amp;status=S&amp;type=CT  N bytes (default 1024) of {@link #body}(name, N), Content-Length,
 *                                          status S (default 200), Content-Type CT (default application/octet-stream)
 * /big/{name}?size=N                      the same (meant for huge N; streamed in 64 KiB chunks with back pressure)
 * /chunked/{name}?size=N                  the same body, Transfer-Encoding: chunked, no Content-Length
 * /drip/{name}?bytes=N&amp;intervalMs=I       chunked; headers at once, then one byte of body(name, N) every I ms
 *                                          (default 1000); N absent or negative: forever, until the client leaves.
 *                                          length=true declares Content-Length N instead of chunked
 * /stall                                  never answers; the request stays in flight until the client closes
 * /reset/{name}?size=N&amp;after=K&amp;pauseMs=P Content-Length N, K bytes (default N/2) of the body, P ms (default 20),
 *                                          then a TCP RST (SO_LINGER 0 + close)
 * /short/{name}?size=N&amp;send=K            Content-Length N, K bytes (default N/2), then a clean close (FIN)
 * /status/{code}?retryAfter=V&amp;location=L that status, a small text/plain body ("status CODE\n"; none for 1xx/204/304),
 *                                          optional Retry-After: V and Location: L
 * /flaky/{name}?fail=F&amp;code=C&amp;size=N&amp;retryAfter=V  the first F (default 1) requests for this name answer C
 *                                          (default 503, optional Retry-After), later ones the /bytes body (name, N)
 * /redirect/{n}?to=PATH&amp;abs=true&amp;code=302 exactly n redirects: n &gt; 1 -&gt; /redirect/{n-1}?to=..., n == 1 -&gt; to,
 *                                          n == 0 serves {@code to} directly. to defaults to /bytes/redirected; it may be
 *                                          an absolute URL. abs=true makes every Location absolute (default relative)
 * /loop/{name}                            302 to itself (same path and query)
 * /redirect-abs?to=URL                    302 to the absolute URL given
 * /endless                                chunked zeros forever, with back pressure, until the client leaves
 * paths registered with {@link #route}    answered by the test's own handler (checked before everything else)
 * paths registered with {@link #validated} / {@link #validatedHtml}   served with an ETag and/or Last-Modified;
 *                                          304 Not Modified to an If-None-Match or If-Modified-Since that matches
 *                                          (RFC 9110 13.2.2: If-None-Match decides when present); full (200) and 304
 *                                          answers counted per path ({@link #fullResponses}, {@link #notModified});
 *                                          {@link #validatedDelayMs} slows every such answer
 * paths registered with {@link #html} / {@link #page}   served as registered (checked before the built-in ones)
 * anything else                           404
 * </pre>
 *
 * <p>Counters are thread-safe and may be read from any thread; the server may run on several event loops
 * ({@link #start(int)}). A request is "in flight" from its arrival until its response is ended or its connection
 * closes.
 */
public final class TargetServer implements AutoCloseable {

  public static final String HOST = "127.0.0.1";
  public static final int CHUNK = 64 * 1024;
  public static final String DEFAULT_TYPE = "application/octet-stream";
  static final int MAX_LOG = 10_000;
  static final int MAX_EVENTS = 1_000_000;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;
  private static final byte[] ZEROS = new byte[CHUNK];

  private final Vertx vertx;
  private volatile int port;
  private volatile boolean closed;

  // counters
  private final AtomicInteger total = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final ConcurrentHashMap<String, AtomicInteger> perPath = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> flaky = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Page> pages = new ConcurrentHashMap<>();
  private final AtomicReference<Map<String, String>> lastHeaders = new AtomicReference<>(Map.of());
  private final ConcurrentHashMap<String, io.vertx.core.Handler<HttpServerRequest>> routes = new ConcurrentHashMap<>();
  /** Headers of the last {@value #MAX_LOG} requests, oldest first (guarded by lock). */
  private final ArrayDeque<Received> received = new ArrayDeque<>();

  /** The head of one request as it arrived: its path (no query) and headers (names case-insensitive). */
  public record Received(String path, Map<String, String> headers) {}

  // guarded by lock: in-flight set, arrival/departure event log, watched prefixes, request log
  private final Object lock = new Object();
  private final Set<Exchange> inFlightSet = new HashSet<>();
  private final ArrayList<Event> events = new ArrayList<>();
  private boolean eventsOverflowed;
  private final Map<String, int[]> watched = new HashMap<>(); // prefix -> {current, peak}
  private final ArrayDeque<String> log = new ArrayDeque<>();

  private record Event(String path, boolean start) {}

  private record Page(String contentType, byte[] body, int status) {}

  /** A page with validators: etag (quoted) and lastModified (IMF-fixdate) are null when not sent. */
  private record Validated(String contentType, byte[] body, String etag, java.time.Instant lastModified) {}

  private final ConcurrentHashMap<String, Validated> validated = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> full = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> notModified = new ConcurrentHashMap<>();
  private volatile long validatedDelayMs;

  private TargetServer(Vertx vertx) {
    this.vertx = vertx;
  }

  // ------------------------------------------------------------------ life cycle

  /** Starts a target on one event loop. Blocking: call it from a test thread, never from a Vert.x thread. */
  public static TargetServer start() {
    return start(1);
  }

  /**
   * Starts a target whose connections are spread over {@code eventLoops} event loops (one shared port).
   * Blocking: call it from a test thread, never from a Vert.x thread.
   */
  public static TargetServer start(int eventLoops) {
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops must be >= 1");
    }
    Vertx vertx = Vertx.vertx(new VertxOptions()
        .setEventLoopPoolSize(eventLoops)
        .setWorkerPoolSize(1)
        .setInternalBlockingPoolSize(1));
    try {
      TargetServer target = new TargetServer(vertx);
      // Port 0: a free port, not shared. Port -1: a free port shared by every server of this Vert.x instance
      // that listens on -1 (Vert.x server sharing): each verticle instance runs on its own event loop and the
      // shared server hands connections round-robin to them.
      HttpServerOptions options = new HttpServerOptions()
          .setHost(HOST)
          .setPort(eventLoops == 1 ? 0 : -1)
          .setHttp2ClearTextEnabled(false) // plain HTTP/1.1: one request per connection at a time
          .setAcceptBacklog(4096)
          .setIdleTimeout(0);
      List<HttpServer> servers = Collections.synchronizedList(new ArrayList<>());
      vertx.deployVerticle(() -> new VerticleBase() {
        @Override
        public Future<?> start() {
          return vertx.createHttpServer(options).requestHandler(target::handle).listen().onSuccess(servers::add);
        }
      }, new DeploymentOptions().setInstances(eventLoops)).await();
      int port = servers.get(0).actualPort();
      for (HttpServer s : servers) {
        if (s.actualPort() != port) {
          throw new IllegalStateException("servers did not share one port: " + port + " vs " + s.actualPort());
        }
      }
      target.port = port;
      return target;
    } catch (RuntimeException e) {
      vertx.close().await();
      throw e;
    }
  }

  public int port() {
    return port;
  }

  /** "http://127.0.0.1:PORT". */
  public String baseUrl() {
    return "http://" + HOST + ":" + port;
  }

  /** "http://127.0.0.1:PORT" + pathAndQuery (a leading '/' is added when missing). */
  public String url(String pathAndQuery) {
    return baseUrl() + (pathAndQuery.startsWith("/") ? pathAndQuery : "/" + pathAndQuery);
  }

  /** Closes the servers (open connections are dropped) and the target's own Vert.x. Idempotent, blocking. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    vertx.close().await();
  }

  // ------------------------------------------------------------------ registered pages

  /** Serves {@code html} as text/html; charset=utf-8 at exactly {@code path} (query ignored). Replaces earlier. */
  public TargetServer html(String path, String html) {
    return page(path, "text/html; charset=utf-8", html);
  }

  /** Serves {@code body} with {@code contentType} at exactly {@code path} (e.g. /robots.txt, text/plain). */
  public TargetServer page(String path, String contentType, String body) {
    return page(path, 200, contentType, body.getBytes(StandardCharsets.UTF_8));
  }

  /** Serves {@code body} with {@code status} and {@code contentType} at exactly {@code path}. */
  public TargetServer page(String path, int status, String contentType, byte[] body) {
    pages.put(path, new Page(contentType, body.clone(), status));
    return this;
  }

  public void removePage(String path) {
    pages.remove(path);
  }

  /** {@link #validated} as text/html; charset=utf-8, with both an ETag and a Last-Modified. */
  public TargetServer validatedHtml(String path, String html) {
    return validated(path, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8), true, true);
  }

  /**
   * Serves {@code body} at exactly {@code path} with a strong ETag (from the body's sha256) when {@code etag}, and a
   * Last-Modified when {@code lastModified}: the time of this call, or a second after the previous version's when the
   * body changes, so a new body is always newer. Registering the same body again keeps its validators.
   */
  public TargetServer validated(String path, String contentType, byte[] body, boolean etag, boolean lastModified) {
    validated.compute(path, (k, before) -> {
      String tag = "\"" + sha256Hex(body).substring(0, 20) + "\"";
      if (before != null && java.util.Arrays.equals(before.body, body)) {
        return before;
      }
      java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
      java.time.Instant at = before == null || before.lastModified == null || now.isAfter(before.lastModified) ? now
          : before.lastModified.plusSeconds(1);
      return new Validated(contentType, body.clone(), etag ? tag : null, lastModified ? at : null);
    });
    return this;
  }

  /** Every {@link #validated} answer, 304 or 200, waits this long first (0, the default: none). */
  public TargetServer validatedDelayMs(long ms) {
    this.validatedDelayMs = ms;
    return this;
  }

  /** The ETag {@link #validated} serves at {@code path}, or null. */
  public String etag(String path) {
    Validated v = validated.get(path);
    return v == null ? null : v.etag;
  }

  /** Full (200) answers of a {@link #validated} path since the last reset. */
  public int fullResponses(String path) {
    AtomicInteger c = full.get(path);
    return c == null ? 0 : c.get();
  }

  /** Full (200) answers of every {@link #validated} path since the last reset. */
  public int fullResponses() {
    return full.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  /** 304 answers of a {@link #validated} path since the last reset. */
  public int notModified(String path) {
    AtomicInteger c = notModified.get(path);
    return c == null ? 0 : c.get();
  }

  /** 304 answers of every {@link #validated} path since the last reset. */
  public int notModified() {
    return notModified.values().stream().mapToInt(AtomicInteger::get).sum();
  }

  // ------------------------------------------------------------------ counters

  /** Requests received since the last reset (all paths). */
  public int requests() {
    return total.get();
  }

  /** Requests received for this exact path (no query) since the last reset. */
  public int requests(String path) {
    AtomicInteger c = perPath.get(path);
    return c == null ? 0 : c.get();
  }

  /** Requests currently in flight (arrived, response not ended and connection not closed). */
  public int inFlight() {
    return inFlight.get();
  }

  /** Peak of {@link #inFlight()} since the last reset. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  /**
   * Peak number of concurrent in-flight requests whose path starts with {@code pathPrefix}, since the last reset.
   * Computed from an arrival/departure log holding up to {@value #MAX_EVENTS} events since the reset; past that,
   * only prefixes registered with {@link #watchPrefix} before the run can be answered (else IllegalStateException).
   */
  public int maxInFlightForPrefix(String pathPrefix) {
    synchronized (lock) {
      int[] w = watched.get(pathPrefix);
      if (w != null) {
        return w[1];
      }
      if (eventsOverflowed) {
        throw new IllegalStateException("more than " + MAX_EVENTS + " request events since the last reset; "
            + "call watchPrefix(\"" + pathPrefix + "\") before the run");
      }
      int cur = 0;
      int max = 0;
      for (Event e : events) {
        if (e.path.startsWith(pathPrefix)) {
          cur += e.start ? 1 : -1;
          max = Math.max(max, cur);
        }
      }
      return max;
    }
  }

  /** Tracks the peak concurrency of {@code pathPrefix} live from now on (for runs too long for the event log). */
  public void watchPrefix(String pathPrefix) {
    synchronized (lock) {
      int cur = 0;
      for (Exchange ex : inFlightSet) {
        if (ex.path.startsWith(pathPrefix)) {
          cur++;
        }
      }
      watched.put(pathPrefix, new int[] {cur, cur});
    }
  }

  /** The last (up to 10000) requests, oldest first, as "METHOD /path?query". */
  public List<String> requestLog() {
    synchronized (lock) {
      return new ArrayList<>(log);
    }
  }

  /**
   * The headers of every request for this exact path (no query) among the last {@value #MAX_LOG}, oldest first;
   * names are case-insensitive. Forgotten by {@link #resetCounters()}.
   */
  public List<Map<String, String>> requestHeaders(String path) {
    synchronized (lock) {
      return received.stream().filter(r -> r.path().equals(path)).map(Received::headers).toList();
    }
  }

  /** The heads of the last {@value #MAX_LOG} requests, oldest first. */
  public List<Received> received() {
    synchronized (lock) {
      return new ArrayList<>(received);
    }
  }

  /**
   * Answers requests for exactly {@code path} (query ignored) with the test's own handler, which must end the
   * response; checked before pages and built-in endpoints. Runs on the target's event loop. Replaces earlier.
   */
  public TargetServer route(String path, io.vertx.core.Handler<HttpServerRequest> handler) {
    routes.put(path, handler);
    return this;
  }

  /** A header of the most recent request (case-insensitive name), e.g. "User-Agent"; null when absent. */
  public String lastHeader(String name) {
    return lastHeaders.get().get(name);
  }

  /**
   * Forgets counts, the request log, peaks (reset to the current in-flight count) and the /flaky per-name
   * counters. Requests still in flight stay counted in flight. Registered pages stay.
   */
  public void resetCounters() {
    synchronized (lock) {
      total.set(0);
      perPath.clear();
      full.clear();
      notModified.clear();
      flaky.clear();
      log.clear();
      received.clear();
      maxInFlight.set(inFlight.get());
      events.clear();
      eventsOverflowed = false;
      for (Exchange ex : inFlightSet) {
        events.add(new Event(ex.path, true));
      }
      for (int[] w : watched.values()) {
        w[1] = w[0];
      }
    }
  }

  /**
   * Waits until no request is in flight (e.g. until the server has seen a client go away). Blocking; returns
   * false when the timeout passes first. Not for Vert.x threads.
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    return awaitInFlight(0, timeout);
  }

  /** Waits until exactly {@code n} requests are in flight. Blocking; false on timeout. Not for Vert.x threads. */
  public boolean awaitInFlight(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (inFlight.get() != n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return true;
    }
  }

  // ------------------------------------------------------------------ content

  /** The body served for (name, size) by /bytes, /big, /chunked, /flaky, /reset, /short and /drip. */
  public static byte[] body(String name, int size) {
    if (size < 0) {
      throw new IllegalArgumentException("size < 0");
    }
    byte[] b = new byte[size];
    fill(seed(name, size), 0, b, 0, size);
    return b;
  }

  /** Lowercase hex SHA-256 of {@code body(name, size)}, computed in chunks (fine for sizes past 2 GiB). */
  public static String sha256(String name, long size) {
    MessageDigest md = sha256Digest();
    long seed = seed(name, size);
    byte[] buf = new byte[CHUNK];
    for (long pos = 0; pos < size; ) {
      int n = (int) Math.min(CHUNK, size - pos);
      fill(seed, pos, buf, 0, n);
      md.update(buf, 0, n);
      pos += n;
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** Lowercase hex SHA-256 of {@code data}. */
  public static String sha256Hex(byte[] data) {
    return HexFormat.of().formatHex(sha256Digest().digest(data));
  }

  private static MessageDigest sha256Digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // Counter-based SplitMix64 stream: byte p is byte (p % 8) of mix(seed + (p / 8 + 1) * GOLDEN), so any range
  // can be produced without producing what precedes it.
  static long seed(String name, long size) {
    long h = 0xcbf29ce484222325L; // FNV-1a 64 over the UTF-8 name
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return mix(h ^ mix(size + 0x5DEECE66DL));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static byte byteAt(long seed, long pos) {
    return (byte) (mix(seed + ((pos >>> 3) + 1) * GOLDEN) >>> ((pos & 7) * 8));
  }

  static void fill(long seed, long pos, byte[] dst, int off, int len) {
    int i = 0;
    while (i < len && ((pos + i) & 7) != 0) {
      dst[off + i] = byteAt(seed, pos + i);
      i++;
    }
    while (len - i >= 8) {
      long w = mix(seed + (((pos + i) >>> 3) + 1) * GOLDEN);
      for (int j = 0; j < 8; j++) {
        dst[off + i + j] = (byte) (w >>> (8 * j));
      }
      i += 8;
    }
    while (i < len) {
      dst[off + i] = byteAt(seed, pos + i);
      i++;
    }
  }

  // ------------------------------------------------------------------ request handling

  /** One request/response: in-flight bookkeeping and clean-up actions run when the client goes away. */
  private final class Exchange {
    final HttpServerRequest req;
    final HttpServerResponse resp;
    final String path;
    private boolean finished; // guarded by lock
    private final List<Runnable> cleanups = new ArrayList<>(2); // event-loop confined

    Exchange(HttpServerRequest req, String path) {
      this.req = req;
      this.resp = req.response();
      this.path = path;
    }

    void onCleanup(Runnable r) {
      cleanups.add(r);
    }

    /** Runs on response end and on connection close (the first one counts). */
    void finish() {
      List<Runnable> todo = new ArrayList<>(cleanups);
      cleanups.clear();
      todo.forEach(Runnable::run);
      synchronized (lock) {
        if (finished) {
          return;
        }
        finished = true;
        inFlightSet.remove(this);
        inFlight.decrementAndGet();
        recordEvent(path, false);
        lock.notifyAll();
      }
    }

    boolean gone() {
      return resp.closed() || resp.ended();
    }
  }

  private void recordEvent(String path, boolean start) {
    // caller holds lock
    if (!eventsOverflowed) {
      if (events.size() >= MAX_EVENTS) {
        eventsOverflowed = true;
        events.clear();
        events.trimToSize();
      } else {
        events.add(new Event(path, start));
      }
    }
    for (Map.Entry<String, int[]> e : watched.entrySet()) {
      if (path.startsWith(e.getKey())) {
        int[] w = e.getValue();
        w[0] += start ? 1 : -1;
        w[1] = Math.max(w[1], w[0]);
      }
    }
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    String query = req.query();
    Exchange ex = new Exchange(req, path);
    total.incrementAndGet();
    perPath.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
    Map<String, String> hdrs = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    req.headers().forEach(e -> hdrs.putIfAbsent(e.getKey(), e.getValue()));
    lastHeaders.set(Collections.unmodifiableMap(hdrs));
    synchronized (lock) {
      int n = inFlight.incrementAndGet();
      maxInFlight.accumulateAndGet(n, Math::max);
      inFlightSet.add(ex);
      recordEvent(path, true);
      log.addLast(req.method().name() + " " + path + (query == null ? "" : "?" + query));
      while (log.size() > MAX_LOG) {
        log.removeFirst();
      }
      received.addLast(new Received(path, Collections.unmodifiableMap(hdrs)));
      while (received.size() > MAX_LOG) {
        received.removeFirst();
      }
    }
    ex.resp.endHandler(v -> ex.finish());
    ex.resp.closeHandler(v -> ex.finish());
    req.exceptionHandler(t -> { /* connection problems show up through closeHandler */ });

    try {
      Map<String, String> params = parseQuery(query);
      long delay = longParam(params, "delay", 0);
      if (delay > 0) {
        long timer = vertx.setTimer(delay, id -> {
          if (!ex.gone()) {
            safeDispatch(ex, path, params);
          }
        });
        ex.onCleanup(() -> vertx.cancelTimer(timer));
      } else {
        safeDispatch(ex, path, params);
      }
    } catch (BadRequest e) {
      text(ex, 400, e.getMessage() + "\n");
    }
  }

  private void safeDispatch(Exchange ex, String path, Map<String, String> params) {
    try {
      dispatch(ex, path, params);
    } catch (BadRequest e) {
      text(ex, 400, e.getMessage() + "\n");
    } catch (RuntimeException e) { // e.g. an out-of-range status code
      if (!ex.resp.headWritten() && !ex.gone()) {
        ex.resp.headers().clear();
        text(ex, 400, "bad request: " + e + "\n");
      } else {
        ex.req.connection().close();
      }
    }
  }

  private void dispatch(Exchange ex, String path, Map<String, String> params) {
    io.vertx.core.Handler<HttpServerRequest> route = routes.get(path);
    if (route != null) {
      route.handle(ex.req);
      return;
    }
    Validated v = validated.get(path);
    if (v != null) {
      long wait = validatedDelayMs;
      if (wait <= 0) {
        serveValidated(ex, path, v);
        return;
      }
      long timer = vertx.setTimer(wait, id -> {
        if (!ex.gone()) {
          serveValidated(ex, path, v);
        }
      });
      ex.onCleanup(() -> vertx.cancelTimer(timer));
      return;
    }
    Page page = pages.get(path);
    if (page != null) {
      ex.resp.setStatusCode(page.status).putHeader(HttpHeaders.CONTENT_TYPE, page.contentType)
          .end(Buffer.buffer(page.body));
      return;
    }
    String rest;
    if ((rest = after(path, "/bytes/")) != null || (rest = after(path, "/big/")) != null) {
      serveBody(ex, rest, longParam(params, "size", 1024), intParam(params, "status", 200),
          params.getOrDefault("type", DEFAULT_TYPE), false);
    } else if ((rest = after(path, "/chunked/")) != null) {
      serveBody(ex, rest, longParam(params, "size", 1024), intParam(params, "status", 200),
          params.getOrDefault("type", DEFAULT_TYPE), true);
    } else if ((rest = after(path, "/drip/")) != null) {
      drip(ex, rest, longParam(params, "bytes", -1), longParam(params, "intervalMs", 1000),
          Boolean.parseBoolean(params.get("length")), params.getOrDefault("type", DEFAULT_TYPE));
    } else if (path.equals("/stall")) {
      // never answer; Exchange.finish runs when the client closes the connection
    } else if ((rest = after(path, "/reset/")) != null) {
      long size = longParam(params, "size", 1024);
      partial(ex, rest, size, longParam(params, "after", size / 2), true, longParam(params, "pauseMs", 20));
    } else if ((rest = after(path, "/short/")) != null) {
      long size = longParam(params, "size", 1024);
      partial(ex, rest, size, longParam(params, "send", size / 2), false, 0);
    } else if ((rest = after(path, "/status/")) != null) {
      status(ex, parseInt(rest, "code"), params);
    } else if ((rest = after(path, "/flaky/")) != null) {
      int fail = intParam(params, "fail", 1);
      int n = flaky.computeIfAbsent(rest, k -> new AtomicInteger()).incrementAndGet();
      if (n <= fail) {
        int code = intParam(params, "code", 503);
        if (params.containsKey("retryAfter")) {
          ex.resp.putHeader(HttpHeaders.RETRY_AFTER, params.get("retryAfter"));
        }
        text(ex, code, "flaky " + rest + " attempt " + n + " of " + fail + " failing\n");
      } else {
        serveBody(ex, rest, longParam(params, "size", 1024), 200, params.getOrDefault("type", DEFAULT_TYPE), false);
      }
    } else if ((rest = after(path, "/redirect/")) != null) {
      redirect(ex, parseInt(rest, "n"), params);
    } else if (after(path, "/loop/") != null) {
      String q = ex.req.query();
      location(ex, intParam(params, "code", 302), path + (q == null ? "" : "?" + q));
    } else if (path.equals("/redirect-abs")) {
      String to = params.get("to");
      if (to == null) {
        throw new BadRequest("to is required");
      }
      location(ex, intParam(params, "code", 302), to);
    } else if (path.equals("/endless")) {
      ex.resp.setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, DEFAULT_TYPE);
      new Pump(ex, 0, 0, Long.MAX_VALUE, true, null).run();
    } else {
      text(ex, 404, "not found: " + path + "\n");
    }
  }

  private static final java.time.format.DateTimeFormatter HTTP_DATE = java.time.format.DateTimeFormatter
      .RFC_1123_DATE_TIME.withZone(java.time.ZoneOffset.UTC);

  /** A GET with conditions: If-None-Match decides when present (weak comparison), else If-Modified-Since. */
  private void serveValidated(Exchange ex, String path, Validated v) {
    String inm = ex.req.getHeader("If-None-Match");
    String ims = ex.req.getHeader("If-Modified-Since");
    boolean unchanged;
    if (inm != null) {
      unchanged = v.etag != null && matches(inm, v.etag);
    } else if (ims != null && v.lastModified != null) {
      java.time.Instant since;
      try {
        since = java.time.ZonedDateTime.parse(ims.trim(), java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
            .toInstant();
      } catch (RuntimeException e) {
        since = null; // an invalid date is ignored (RFC 9110 13.1.3)
      }
      unchanged = since != null && !v.lastModified.isAfter(since);
    } else {
      unchanged = false;
    }
    HttpServerResponse resp = ex.resp;
    resp.putHeader("Date", HTTP_DATE.format(java.time.Instant.now())).putHeader("Cache-Control", "max-age=0");
    if (v.etag != null) {
      resp.putHeader(HttpHeaders.ETAG, v.etag);
    }
    if (unchanged) {
      // what a 304 carries (RFC 9110 15.4.5): Date, ETag, Cache-Control; not the body's Last-Modified
      notModified.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      resp.setStatusCode(304).end();
      return;
    }
    full.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
    if (v.lastModified != null) {
      resp.putHeader(HttpHeaders.LAST_MODIFIED, HTTP_DATE.format(v.lastModified));
    }
    resp.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, v.contentType).end(Buffer.buffer(v.body));
  }

  private static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch.trim().equals("*")) {
      return true;
    }
    String want = etag.startsWith("W/") ? etag.substring(2) : etag;
    for (String tag : ifNoneMatch.split(",")) {
      String t = tag.trim();
      if ((t.startsWith("W/") ? t.substring(2) : t).equals(want)) {
        return true;
      }
    }
    return false;
  }

  private void serveBody(Exchange ex, String name, long size, int status, String type, boolean chunked) {
    if (size < 0) {
      throw new BadRequest("size must be >= 0");
    }
    HttpServerResponse resp = ex.resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, type);
    if (status < 200 || status == 204 || status == 304) {
      resp.end();
      return;
    }
    if (chunked) {
      resp.setChunked(true);
    } else {
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(size));
    }
    if (size <= CHUNK) {
      byte[] b = new byte[(int) size];
      fill(seed(name, size), 0, b, 0, b.length);
      resp.end(Buffer.buffer(b));
    } else {
      new Pump(ex, seed(name, size), 0, size, false, last -> resp.end()).run();
    }
  }

  /** Declares Content-Length {@code size}, sends {@code send} bytes, then RSTs or cleanly closes the connection. */
  private void partial(Exchange ex, String name, long size, long send, boolean rst, long pauseMs) {
    if (size < 0 || send < 0 || send > size) {
      throw new BadRequest("need 0 <= sent bytes <= size");
    }
    HttpServerResponse resp = ex.resp.setStatusCode(200)
        .putHeader(HttpHeaders.CONTENT_TYPE, DEFAULT_TYPE)
        .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(size));
    Future<Void> head = resp.writeHead();
    new Pump(ex, seed(name, size), 0, send, false, last -> (last == null ? head : last).onComplete(ar -> {
      if (ex.gone()) {
        return;
      }
      if (rst && pauseMs > 0) {
        long t = vertx.setTimer(pauseMs, id -> abort(ex, true));
        ex.onCleanup(() -> vertx.cancelTimer(t));
      } else {
        abort(ex, rst);
      }
    })).run();
  }

  /** rst: SO_LINGER 0 then close, so the kernel sends a TCP RST; otherwise an ordinary close (FIN). */
  private void abort(Exchange ex, boolean rst) {
    HttpConnection conn = ex.req.connection();
    if (rst && conn instanceof io.vertx.core.net.impl.ConnectionBase) {
      Channel ch = ((io.vertx.core.net.impl.ConnectionBase) conn).channel();
      ch.config().setOption(ChannelOption.SO_LINGER, 0);
      ch.close();
    } else {
      conn.close();
    }
  }

  private void drip(Exchange ex, String name, long bytes, long intervalMs, boolean length, String type) {
    if (intervalMs < 1) {
      throw new BadRequest("intervalMs must be >= 1");
    }
    HttpServerResponse resp = ex.resp.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, type);
    if (length && bytes >= 0) {
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(bytes));
    } else {
      resp.setChunked(true);
    }
    if (bytes == 0) {
      resp.end();
      return;
    }
    resp.writeHead();
    long seed = seed(name, bytes < 0 ? -1 : bytes);
    long[] sent = {0};
    long timer = vertx.setPeriodic(intervalMs, id -> {
      if (ex.gone()) {
        vertx.cancelTimer(id);
        return;
      }
      resp.write(Buffer.buffer(new byte[] {byteAt(seed, sent[0])}));
      sent[0]++;
      if (bytes >= 0 && sent[0] >= bytes) {
        vertx.cancelTimer(id);
        resp.end();
      }
    });
    ex.onCleanup(() -> vertx.cancelTimer(timer));
  }

  private void status(Exchange ex, int code, Map<String, String> params) {
    if (params.containsKey("retryAfter")) {
      ex.resp.putHeader(HttpHeaders.RETRY_AFTER, params.get("retryAfter"));
    }
    if (params.containsKey("location")) {
      ex.resp.putHeader(HttpHeaders.LOCATION, params.get("location"));
    }
    if (code < 200 || code == 204 || code == 304) {
      ex.resp.setStatusCode(code).end();
    } else {
      text(ex, code, "status " + code + "\n");
    }
  }

  private void redirect(Exchange ex, int n, Map<String, String> params) {
    if (n < 0) {
      throw new BadRequest("n must be >= 0");
    }
    String to = params.getOrDefault("to", "/bytes/redirected");
    boolean abs = Boolean.parseBoolean(params.get("abs"));
    int code = intParam(params, "code", 302);
    if (n == 0) {
      if (to.startsWith("http://") || to.startsWith("https://")) {
        location(ex, code, to); // cannot serve another origin: one hop remains
        return;
      }
      int q = to.indexOf('?');
      String toPath = q < 0 ? to : to.substring(0, q);
      dispatch(ex, toPath, parseQuery(q < 0 ? null : to.substring(q + 1)));
      return;
    }
    String target;
    if (n == 1) {
      target = (abs && to.startsWith("/")) ? url(to) : to;
    } else {
      target = "/redirect/" + (n - 1) + "?to=" + URLEncoder.encode(to, StandardCharsets.UTF_8)
          + (abs ? "&abs=true" : "") + (params.containsKey("code") ? "&code=" + code : "");
      if (abs) {
        target = url(target);
      }
    }
    location(ex, code, target);
  }

  private void location(Exchange ex, int code, String location) {
    ex.resp.putHeader(HttpHeaders.LOCATION, location);
    text(ex, code, "redirect to " + location + "\n");
  }

  private static void text(Exchange ex, int status, String body) {
    if (ex.gone()) {
      return;
    }
    ex.resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end(body);
  }

  /**
   * Writes body bytes [pos, end) in 64 KiB chunks, pausing while the write queue is full (drain handler), and
   * stopping when the connection closes. Zero bytes instead of the pseudo-random body when {@code zeros}.
   */
  private static final class Pump {
    private final Exchange ex;
    private final long seed;
    private long pos;
    private final long end;
    private final boolean zeros;
    private final io.vertx.core.Handler<Future<Void>> done;
    private Future<Void> last;

    Pump(Exchange ex, long seed, long pos, long end, boolean zeros, io.vertx.core.Handler<Future<Void>> done) {
      this.ex = ex;
      this.seed = seed;
      this.pos = pos;
      this.end = end;
      this.zeros = zeros;
      this.done = done;
    }

    void run() {
      HttpServerResponse resp = ex.resp;
      while (pos < end) {
        if (ex.gone()) {
          return;
        }
        if (resp.writeQueueFull()) {
          resp.drainHandler(v -> run());
          return;
        }
        int n = (int) Math.min(CHUNK, end - pos);
        Buffer chunk;
        if (zeros) {
          chunk = Buffer.buffer(n == CHUNK ? ZEROS : new byte[n]);
        } else {
          byte[] b = new byte[n];
          fill(seed, pos, b, 0, n);
          chunk = Buffer.buffer(b);
        }
        pos += n;
        last = resp.write(chunk);
      }
      if (done != null && !ex.gone()) {
        done.handle(last);
      }
    }
  }

  // ------------------------------------------------------------------ parsing

  private static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message, null, false, false);
    }
  }

  private static String after(String path, String prefix) {
    if (path.startsWith(prefix) && path.length() > prefix.length()) {
      return path.substring(prefix.length());
    }
    return null;
  }

  private static Map<String, String> parseQuery(String query) {
    Map<String, String> m = new HashMap<>();
    if (query == null || query.isEmpty()) {
      return m;
    }
    for (String part : query.split("&")) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      String v = eq < 0 ? "" : part.substring(eq + 1);
      try {
        m.putIfAbsent(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new BadRequest("bad query encoding: " + part);
      }
    }
    return m;
  }

  private static long longParam(Map<String, String> params, String name, long dflt) {
    String v = params.get(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new BadRequest(name + " must be an integer: " + v);
    }
  }

  private static int intParam(Map<String, String> params, String name, int dflt) {
    long v = longParam(params, name, dflt);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new BadRequest(name + " out of range: " + v);
    }
    return (int) v;
  }

  private static int parseInt(String s, String what) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new BadRequest(what + " must be an integer: " + s);
    }
  }
}
