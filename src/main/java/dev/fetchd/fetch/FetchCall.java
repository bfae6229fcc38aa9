package dev.fetchd.fetch;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.crawl.UrlNormalizer;
import dev.fetchd.files.TempFile;
import dev.fetchd.job.ErrorCode;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * One attempt in flight. Runs on the engine's event loop. It ends exactly once ({@link #finish}): on
 * success after the body is in place; on any failure, timeout or {@link #cancel} after the request is reset
 * and the partial file deleted, so whoever waits on {@link #result()} sees no leftovers.
 *
 * <p>Two ways a healthy server closes connections are not failures:
 * <ul>
 *   <li>It closes right after a complete answer. Vert.x reports the close at once, but the answer's last bytes
 *       and its end may still be queued behind a pause (ours, while the temp file opens or the disk catches up):
 *       the connection hands the close to the response before the data it read earlier. So a close during the
 *       body only ends the attempt once what was received before it has been delivered: the end then wins, and
 *       without an end the body was cut ({@code truncated} with a Content-Length, else {@code reset}).</li>
 *   <li>It closed a kept-alive connection while it sat in the pool. A request that dies on a REUSED connection
 *       before any byte of an answer is sent again once, on a fresh connection, and that is not another attempt
 *       (as browsers and OkHttp do for idempotent requests).</li>
 * </ul>
 */
public final class FetchCall {
  private static final int MAX_STATUS_BODY_DRAIN = 64 * 1024;
  /** Bodies up to this size (with a Content-Length) are gathered in memory and stored in one step. */
  static final int SMALL_BODY = 64 * 1024;
  /**
   * After the server closed mid-body: how long the queued rest may take to arrive before the body counts as cut.
   * Nothing comes from the network any more, only from Vert.x's queues on this loop; restarted by every chunk.
   */
  static final long CLOSE_SETTLE_MS = 200;

  private final Fetcher f;
  private final FetchRequest req;
  private final Promise<FetchResult> result = Promise.promise();
  private final Set<String> visited = new HashSet<>();
  private HttpClientRequest current;
  /** An unpooled connection opened for a retry after a reused one died; closed when the attempt ends. */
  private HttpClientConnection fresh;
  private boolean retriedFresh;
  private TempFile temp;
  private long timer = -1;
  private boolean done;
  private boolean committing;
  private String url;
  private Integer status;
  private String contentType;
  /** A redirect left the first origin: credentials stay behind from then on. */
  private boolean crossedOrigin;
  /** The heads of the current hop's exchange (HttpHeads), handed to the item with a success (WARC export). */
  private String requestHead;
  private String responseHead;
  /** The current hop carries the request's validators: a 304 to it means the earlier body stands. */
  private boolean conditional;

  // the body being read
  private HttpClientResponse body;
  private Long declared;
  private long received;
  private Buffer memory;
  private boolean ended;
  /** Reading is held back: the disk is behind. */
  private boolean held;
  private boolean peerClosed;
  private long settleTimer = -1;

  FetchCall(Fetcher f, FetchRequest req) {
    this.f = f;
    this.req = req;
    this.url = req.url();
  }

  public Future<FetchResult> result() {
    return result.future();
  }

  /** Aborts the attempt: resets the request, deletes the partial file, ends with {@code code}. */
  public void cancel(ErrorCode code, String message) {
    if (!committing) {
      finish(FetchResult.failure(code, message, false));
    }
  }

  void start() {
    timer = f.vertx.setTimer(req.timeoutMs(), id -> {
      timer = -1;
      // a target that does not answer in time may well answer the next time: retried like other transient errors
      if (!committing) {
        finish(FetchResult.failure(ErrorCode.TIMEOUT, "no complete answer within " + req.timeoutMs() + " ms", true));
      }
    });
    NormalizedUrl first = NormalizedUrl.parse(req.url());
    if (first == null) {
      String scheme = UrlNormalizer.schemeOf(req.url());
      finish(FetchResult.failure(scheme != null && !scheme.equals("http") && !scheme.equals("https")
          ? ErrorCode.BLOCKED_ADDRESS : ErrorCode.INVALID_RESPONSE,
          "not a fetchable http(s) URL: " + req.url(), false));
      return;
    }
    hop(first, 0);
  }

  private void hop(NormalizedUrl target, int hops) {
    url = target.toString();
    visited.add(url);
    if (target.userInfo() != null) {
      finish(FetchResult.failure(ErrorCode.BLOCKED_ADDRESS, "URLs with user info are refused", false));
      return;
    }
    boolean https = target.scheme().equals("https");
    int port = target.effectivePort();
    f.guard.check(target.host()).onComplete(ar -> {
      if (done) {
        return;
      }
      if (ar.failed()) {
        finish(FetchResult.failure(ErrorCode.CONNECT_FAILED, "cannot resolve " + target.host() + ": "
            + ar.cause().getMessage(), true));
        return;
      }
      AddressGuard.Verdict v = ar.result();
      if (!v.allowed()) {
        finish(FetchResult.failure(ErrorCode.BLOCKED_ADDRESS, v.refusal(), false));
        return;
      }
      RequestOptions options = new RequestOptions()
          .setMethod(HttpMethod.GET)
          .setHost(target.bareHost())
          .setPort(port)
          .setSsl(https)
          .setURI(target.pathAndQuery())
          .setFollowRedirects(false)
          .putHeader("Host", target.hostPort())
          .putHeader("User-Agent", f.userAgent)
          .putHeader("Accept", "*/*")
          .putHeader("Accept-Encoding", "identity");
      if (req.headers() != null) {
        req.headers().apply(target, crossedOrigin, options.getHeaders());
      }
      // validators go to the URL that gave the earlier body, after the job's own headers (they take precedence)
      conditional = req.validators() != null && req.validators().url().equals(url);
      if (conditional) {
        req.validators().apply(options.getHeaders());
      }
      requestHead = HttpHeads.request("GET", target.pathAndQuery(), options.getHeaders(),
          req.headers() != null ? req.headers()::isSecret : HttpHeads::alwaysSecret);
      if (v.address() != null) {
        // connect to the address that was checked, not to a second lookup of the name
        options.setServer(SocketAddress.inetSocketAddress(port, v.address().getHostAddress()));
      }
      send(options, https, hops, false);
    });
  }

  private void send(RequestOptions options, boolean https, int hops, boolean onFreshConnection) {
    boolean[] reused = {false};
    Future<HttpClientRequest> request = onFreshConnection
        ? f.client.connect(options).compose(conn -> {
          fresh = conn;
          if (done) {
            conn.close();
          }
          return conn.request(options);
        })
        : f.client.request(options);
    request
        .compose(r -> {
          if (done) {
            r.reset();
            return Future.failedFuture(new IllegalStateException("cancelled"));
          }
          current = r;
          reused[0] = !f.firstUse(r.connection());
          return r.send();
        })
        .onSuccess(response -> onResponse(response, https, hops))
        .onFailure(err -> {
          if (done) {
            return;
          }
          if (reused[0] && !retriedFresh && diedBeforeAnswer(err)) {
            // the server had closed this pooled connection: not the target's fault, not an attempt
            retriedFresh = true;
            current = null;
            send(options, https, hops, true);
            return;
          }
          finish(classify(err, false, null));
        });
  }

  /** The next cause in a chain, or null at its end (a self-cause ends it too). */
  private static Throwable cause(Throwable t) {
    Throwable c = t.getCause();
    return c == t ? null : c;
  }

  /** The connection was lost before any byte of an answer: closed or reset under a request just written. */
  private static boolean diedBeforeAnswer(Throwable err) {
    for (Throwable t = err; t != null; t = cause(t)) {
      if (t instanceof PrematureChannelClosureException) {
        return false; // part of a status line or head had arrived
      }
      if (t instanceof HttpClosedException || (t instanceof IOException && !(t instanceof ConnectException))) {
        return true;
      }
    }
    return false;
  }

  private void onResponse(HttpClientResponse response, boolean https, int hops) {
    // from here on a reset or close reaches this attempt, never Vert.x's "unhandled exception" log
    response.exceptionHandler(this::bodyFailed);
    if (done) {
      return;
    }
    status = response.statusCode();
    contentType = response.getHeader("Content-Type");
    if (req.headers() != null && response.headers().contains("Set-Cookie")) {
      req.headers().received(NormalizedUrl.parse(url), response.headers().getAll("Set-Cookie"));
    }
    int code = response.statusCode();
    if (code == 304 && conditional) {
      notModified(response);
      return;
    }
    String location = response.getHeader("Location");
    if (code >= 300 && code < 400 && location != null && code != 304) {
      redirect(response, location, https, hops);
      return;
    }
    if (code < 200 || code >= 300) {
      boolean retryable = code == 408 || code == 429 || code >= 500;
      long retryAfter = retryAfterMs(response.getHeader("Retry-After"));
      drainThen(response, () -> finish(new FetchResult(ErrorCode.HTTP_STATUS, "HTTP " + code, retryable, retryAfter,
          url, code, contentType, null, null)));
      return;
    }
    declared = contentLength(response);
    if (declared != null && declared > req.maxBytes() && !req.inMemory()) {
      finish(FetchResult.failure(ErrorCode.TOO_LARGE,
          "Content-Length " + declared + " exceeds maxBytes " + req.maxBytes(), false));
      return;
    }
    body = response;
    responseHead = HttpHeads.response(response);
    if (req.inMemory() || (declared != null && declared <= SMALL_BODY)) {
      // in memory, or a small body with a known length: gathered, then written, fsynced and renamed in one
      // worker call instead of a round trip per step
      memory = Buffer.buffer();
      response.handler(this::chunk);
      response.endHandler(v -> bodyEnded());
      return;
    }
    temp = f.files.newTemp(req.storedName());
    temp.exceptionHandler(err -> finish(fileError(err)));
    response.handler(this::chunk);
    response.endHandler(v -> bodyEnded());
  }

  /** A 304 to the validators: it has no body (RFC 9110); once its end is read the connection goes back to the pool. */
  private void notModified(HttpClientResponse response) {
    responseHead = HttpHeads.response(response);
    response.handler(b -> { });
    response.end().onComplete(ar -> {
      if (done) {
        return;
      }
      if (ar.failed()) {
        finish(classify(ar.cause(), false, null));
        return;
      }
      ended = true;
      finish(FetchResult.notModified(url, contentType, requestHead, responseHead));
    });
  }

  private void chunk(Buffer chunk) {
    if (done) {
      return;
    }
    if (received + chunk.length() > req.maxBytes()) {
      if (req.inMemory()) {
        // a document kept in memory is read up to maxBytes and cut there (robots.txt: RFC 9309 asks to
        // parse at least the first 500 KiB, not to refuse a longer file)
        memory.appendBuffer(chunk, 0, (int) (req.maxBytes() - received));
        received = req.maxBytes();
        bodyComplete();
        return;
      }
      finish(FetchResult.failure(ErrorCode.TOO_LARGE, "body exceeds maxBytes " + req.maxBytes(), false));
      return;
    }
    received += chunk.length();
    if (peerClosed) {
      settle();
    }
    if (temp == null) {
      memory.appendBuffer(chunk);
      return;
    }
    temp.write(chunk);
    if (temp.writeQueueFull()) {
      hold();
      temp.drainHandler(() -> {
        if (!done) {
          release();
        }
      });
    }
  }

  private void hold() {
    held = true;
    body.pause();
    cancelSettle();
  }

  private void release() {
    held = false;
    body.resume();
    if (peerClosed) {
      settle();
    }
  }

  private void bodyFailed(Throwable err) {
    if (done) {
      return;
    }
    if (body != null && isClose(err)) {
      // what the connection read before the close may still be queued: judge once it has been delivered
      peerClosed = true;
      if (!held) {
        settle();
      }
      return;
    }
    finish(classify(err, body != null, declared));
  }

  private static boolean isClose(Throwable err) {
    return err instanceof HttpClosedException;
  }

  /** (Re)starts the wait for the queued rest of a body whose connection closed. */
  private void settle() {
    cancelSettle();
    settleTimer = f.vertx.setTimer(CLOSE_SETTLE_MS, id -> {
      settleTimer = -1;
      if (done || ended) {
        return;
      }
      finish(declared != null
          ? FetchResult.failure(ErrorCode.TRUNCATED, "connection closed after " + received + " of " + declared
              + " bytes", true)
          : FetchResult.failure(ErrorCode.RESET, "connection closed after " + received
              + " bytes, before the end of the chunked body", true));
    });
  }

  private void cancelSettle() {
    if (settleTimer >= 0) {
      f.vertx.cancelTimer(settleTimer);
      settleTimer = -1;
    }
  }

  private void bodyEnded() {
    ended = true;
    cancelSettle();
    if (done) {
      return;
    }
    if (declared != null && received < declared) {
      finish(FetchResult.failure(ErrorCode.TRUNCATED, "body ended after " + received + " of " + declared
          + " bytes", true));
      return;
    }
    bodyComplete();
  }

  private void bodyComplete() {
    cancelSettle();
    if (req.inMemory()) {
      finish(new FetchResult(null, null, false, -1, url, status, contentType, null, memory));
      return;
    }
    committing = true;
    cancelTimer();
    Future<TempFile.Stored> stored = temp == null ? f.files.storeWhole(memory, req.storedName())
        : temp.commit();
    stored.onComplete(c -> {
      committing = false;
      finish(c.succeeded() ? new FetchResult(null, null, false, -1, url, status, contentType, c.result(), null,
          requestHead, responseHead)
          : fileError(c.cause()));
    });
  }

  private void redirect(HttpClientResponse response, String location, boolean https, int hops) {
    NormalizedUrl base = NormalizedUrl.parse(url);
    NormalizedUrl next = base == null ? null : base.resolveLocation(location);
    if (next == null) {
      String scheme = UrlNormalizer.schemeOf(location);
      boolean otherScheme = scheme != null && !scheme.equals("http") && !scheme.equals("https");
      finish(FetchResult.failure(otherScheme ? ErrorCode.BLOCKED_ADDRESS : ErrorCode.INVALID_RESPONSE,
          (otherScheme ? "redirect to a non-http(s) URL: " : "bad redirect Location: ") + location, false));
      return;
    }
    String target = next.toString();
    if (visited.contains(target)) {
      finish(FetchResult.failure(ErrorCode.REDIRECT_LOOP, "redirect loop at " + target, false));
      return;
    }
    if (hops + 1 > f.maxRedirects) {
      finish(FetchResult.failure(ErrorCode.REDIRECT_LOOP, "more than " + f.maxRedirects + " redirects", false));
      return;
    }
    if (https && next.scheme().equals("http")) {
      finish(FetchResult.failure(ErrorCode.HTTP_STATUS, "redirect from https to http refused: " + target, false));
      return;
    }
    crossedOrigin |= !next.origin().equals(base.origin());
    drainThen(response, () -> {
      current = null;
      closeFresh();
      hop(next, hops + 1);
    });
  }

  /**
   * Reads and drops a small body so the connection can be reused; a large or unknown one is cut. The outcome
   * (a status, a redirect) does not depend on that body: a close or reset while draining changes nothing.
   */
  private void drainThen(HttpClientResponse response, Runnable next) {
    Long length = contentLength(response);
    response.exceptionHandler(err -> { });
    if (length != null && length <= MAX_STATUS_BODY_DRAIN) {
      response.handler(b -> { });
      response.end().onComplete(ar -> {
        if (!done) {
          next.run();
        }
      });
    } else {
      HttpClientRequest r = current;
      current = null;
      if (r != null) {
        r.reset();
      }
      next.run();
    }
  }

  private void finish(FetchResult outcome) {
    if (done) {
      return;
    }
    done = true;
    cancelTimer();
    cancelSettle();
    FetchResult r = outcome.finalUrl() == null ? outcome.at(url, status, contentType) : outcome;
    if (r.succeeded()) {
      if (!ended && current != null) {
        current.reset(); // a document cut at maxBytes: the rest is not read
      }
      current = null;
      closeFresh();
      result.complete(r);
      return;
    }
    if (current != null) {
      current.reset();
      current = null;
    }
    closeFresh();
    // the item is reported only once its partial file is gone
    if (temp != null) {
      temp.discard().onComplete(x -> result.complete(r));
    } else {
      result.complete(r);
    }
  }

  private void closeFresh() {
    if (fresh != null) {
      fresh.close();
      fresh = null;
    }
  }

  private void cancelTimer() {
    if (timer >= 0) {
      f.vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  private static Long contentLength(HttpClientResponse response) {
    String cl = response.getHeader("Content-Length");
    if (cl == null) {
      return null;
    }
    try {
      return Long.parseLong(cl.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private long retryAfterMs(String header) {
    if (header == null || header.isBlank()) {
      return -1;
    }
    long ms;
    try {
      ms = Long.parseLong(header.trim()) * 1000;
    } catch (NumberFormatException e) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
        ms = Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis();
      } catch (RuntimeException e2) {
        return -1;
      }
    }
    return Math.max(0, Math.min(ms, f.maxRetryAfterMs));
  }

  static FetchResult fileError(Throwable err) {
    String msg = String.valueOf(err.getMessage());
    if (msg.contains("No space left") || msg.contains("Disk quota")) {
      return FetchResult.failure(ErrorCode.DISK_FULL, "disk full: " + msg, false);
    }
    return FetchResult.failure(ErrorCode.IO_ERROR, "cannot store body: " + msg, false);
  }

  /**
   * Maps a client failure to a stable error code: by the exception types in its cause chain first, and only for
   * a failure no type explains by its message (a host name with "timeout" or "reset" in it must not decide).
   *
   * @param inBody   the failure came after the response head
   * @param declared the response's Content-Length, if any
   */
  static FetchResult classify(Throwable err, boolean inBody, Long declared) {
    String msg = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    boolean cut = inBody && declared != null;
    for (Throwable t = err; t != null; t = cause(t)) {
      // netty's ConnectTimeoutException is a ConnectException: timeouts first
      if (t instanceof TimeoutException || t instanceof SocketTimeoutException
          || t instanceof io.netty.channel.ConnectTimeoutException) {
        return FetchResult.failure(ErrorCode.TIMEOUT, msg, true);
      }
      if (t instanceof io.vertx.core.http.ConnectionPoolTooBusyException) {
        // the pool's wait queue was full for a moment (connections of cancelled fetches still closing): nothing
        // was asked of the target, so it is worth another try, not an invalid answer
        return FetchResult.failure(ErrorCode.CONNECT_FAILED, "connection pool busy: " + msg, true);
      }
      if (t instanceof UnknownHostException) {
        return FetchResult.failure(ErrorCode.CONNECT_FAILED, "cannot resolve host: " + msg, true);
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException
          || t instanceof PortUnreachableException) {
        return FetchResult.failure(ErrorCode.CONNECT_FAILED, msg, true);
      }
      if (t instanceof SSLException) {
        return FetchResult.failure(ErrorCode.CONNECT_FAILED, "TLS: " + msg, false);
      }
      if (t instanceof HttpClosedException || t instanceof PrematureChannelClosureException) {
        return cut ? FetchResult.failure(ErrorCode.TRUNCATED, "connection closed before the declared " + declared
            + " bytes", true) : FetchResult.failure(ErrorCode.RESET, "connection closed: " + msg, true);
      }
      if (t instanceof IOException) {
        // a reset inside a body of declared length leaves it short of that length: truncated, like a close
        return cut ? FetchResult.failure(ErrorCode.TRUNCATED, "body cut before the declared " + declared
            + " bytes: " + msg, true) : FetchResult.failure(ErrorCode.RESET, msg, true);
      }
      // what the HTTP decoder could not read: a status line with garbage, a bad version, an endless header...
      if (t instanceof CodecException || t instanceof TooLongFrameException || t instanceof IllegalArgumentException
          || t instanceof IllegalStateException) {
        return FetchResult.failure(ErrorCode.INVALID_RESPONSE, "not a valid HTTP response: " + msg, false);
      }
    }
    String lower = msg.toLowerCase(Locale.ROOT);
    if (lower.contains("timed out") || lower.contains("timeout")) {
      return FetchResult.failure(ErrorCode.TIMEOUT, msg, true);
    }
    if (lower.contains("connection refused")) {
      return FetchResult.failure(ErrorCode.CONNECT_FAILED, msg, true);
    }
    if (lower.contains("connection reset") || lower.contains("closed")) {
      return cut ? FetchResult.failure(ErrorCode.TRUNCATED, "body cut before the declared " + declared + " bytes: "
          + msg, true) : FetchResult.failure(ErrorCode.RESET, msg, true);
    }
    if (err instanceof VertxException) {
      return FetchResult.failure(ErrorCode.INVALID_RESPONSE, "not a valid HTTP response: " + msg, false);
    }
    return FetchResult.failure(ErrorCode.INVALID_RESPONSE, msg, false);
  }
}
