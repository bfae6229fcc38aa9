package dev.fetchd.fetch;

import dev.fetchd.files.TempFile;
import dev.fetchd.job.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
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
 */
public final class FetchCall {
  private static final int MAX_STATUS_BODY_DRAIN = 64 * 1024;
  /** Bodies up to this size (with a Content-Length) are gathered in memory and stored in one step. */
  static final int SMALL_BODY = 64 * 1024;

  private final Fetcher f;
  private final FetchRequest req;
  private final Promise<FetchResult> result = Promise.promise();
  private final Set<String> visited = new HashSet<>();
  private HttpClientRequest current;
  private TempFile temp;
  /** The temp file being created, so that an attempt ending meanwhile still waits for its removal. */
  private Future<TempFile> opening;
  private long timer = -1;
  private boolean done;
  private boolean committing;
  private String url;
  private Integer status;
  private String contentType;

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
      cancel(ErrorCode.TIMEOUT, "no complete answer within " + req.timeoutMs() + " ms");
    });
    hop(req.url(), 0);
  }

  private void hop(String target, int hops) {
    URI uri;
    try {
      uri = new URI(target);
    } catch (Exception e) {
      finish(FetchResult.failure(ErrorCode.INVALID_RESPONSE, "unparsable URL " + target, false));
      return;
    }
    url = target;
    visited.add(target);
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost();
    if (!(scheme.equals("http") || scheme.equals("https")) || host == null) {
      finish(FetchResult.failure(ErrorCode.BLOCKED_ADDRESS, "only http and https URLs with a host are fetched: " + target, false));
      return;
    }
    if (uri.getRawUserInfo() != null) {
      finish(FetchResult.failure(ErrorCode.BLOCKED_ADDRESS, "URLs with user info are refused", false));
      return;
    }
    int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    f.guard.check(host).onComplete(ar -> {
      if (done) {
        return;
      }
      if (ar.failed()) {
        finish(FetchResult.failure(ErrorCode.CONNECT_FAILED, "cannot resolve " + host + ": " + ar.cause().getMessage(), true));
        return;
      }
      AddressGuard.Verdict v = ar.result();
      if (!v.allowed()) {
        finish(FetchResult.failure(ErrorCode.BLOCKED_ADDRESS, v.refusal(), false));
        return;
      }
      RequestOptions options = new RequestOptions()
          .setMethod(HttpMethod.GET)
          .setAbsoluteURI(target)
          .setFollowRedirects(false)
          .putHeader("User-Agent", f.userAgent)
          .putHeader("Accept", "*/*")
          .putHeader("Accept-Encoding", "identity");
      if (v.address() != null) {
        // connect to the address that was checked, not to a second lookup of the name
        options.setServer(SocketAddress.inetSocketAddress(port, v.address().getHostAddress()));
      }
      send(options, scheme, hops);
    });
  }

  private void send(RequestOptions options, String scheme, int hops) {
    f.client.request(options)
        .compose(request -> {
          if (done) {
            request.reset();
            return Future.failedFuture(new IllegalStateException("cancelled"));
          }
          current = request;
          return request.send();
        })
        .onSuccess(response -> onResponse(response, scheme, hops))
        .onFailure(err -> finish(classify(err, false, null)));
  }

  private void onResponse(HttpClientResponse response, String scheme, int hops) {
    // from here on a reset or close reaches this attempt, never Vert.x's "unhandled exception" log
    response.exceptionHandler(err -> finish(classify(err, false, null)));
    if (done) {
      return;
    }
    status = response.statusCode();
    contentType = response.getHeader("Content-Type");
    int code = response.statusCode();
    String location = response.getHeader("Location");
    if (code >= 300 && code < 400 && location != null && code != 304) {
      redirect(response, location, scheme, hops);
      return;
    }
    if (code < 200 || code >= 300) {
      boolean retryable = code == 408 || code == 429 || code >= 500;
      long retryAfter = retryAfterMs(response.getHeader("Retry-After"));
      drainThen(response, () -> finish(new FetchResult(ErrorCode.HTTP_STATUS, "HTTP " + code, retryable, retryAfter,
          url, code, contentType, null, null)));
      return;
    }
    Long declared = contentLength(response);
    if (declared != null && declared > req.maxBytes()) {
      finish(FetchResult.failure(ErrorCode.TOO_LARGE,
          "Content-Length " + declared + " exceeds maxBytes " + req.maxBytes(), false));
      return;
    }
    if (req.inMemory()) {
      toMemory(response, declared, body -> finish(new FetchResult(null, null, false, -1, url, status, contentType,
          null, body)));
      return;
    }
    if (declared != null && declared <= SMALL_BODY) {
      // a small body with a known length: gather it, then write, fsync and rename it in one worker call
      // instead of a round trip per step
      toMemory(response, declared, this::storeSmall);
      return;
    }
    // hold the body back while the temp file opens
    response.pause();
    opening = f.files.createTemp(req.storedName());
    opening.onComplete(ar -> {
      if (ar.failed()) {
        finish(fileError(ar.cause()));
        return;
      }
      if (done) {
        return; // finish() discards it
      }
      temp = ar.result();
      stream(response, declared);
    });
  }

  private void stream(HttpClientResponse response, Long declared) {
    temp.exceptionHandler(err -> finish(fileError(err)));
    response.exceptionHandler(err -> finish(classify(err, true, declared)));
    response.handler(chunk -> {
      if (done) {
        return;
      }
      if (temp.bytes() + chunk.length() > req.maxBytes()) {
        finish(FetchResult.failure(ErrorCode.TOO_LARGE, "body exceeds maxBytes " + req.maxBytes(), false));
        return;
      }
      temp.write(chunk).onFailure(err -> finish(fileError(err)));
      if (temp.writeQueueFull()) {
        response.pause();
        temp.drainHandler(() -> {
          if (!done) {
            response.resume();
          }
        });
      }
    });
    response.endHandler(v -> {
      if (done) {
        return;
      }
      if (declared != null && temp.bytes() < declared) {
        finish(FetchResult.failure(ErrorCode.TRUNCATED,
            "body ended after " + temp.bytes() + " of " + declared + " bytes", true));
        return;
      }
      committing = true;
      cancelTimer();
      temp.commit(req.storedName()).onComplete(c -> {
        committing = false;
        if (c.succeeded()) {
          finish(new FetchResult(null, null, false, -1, url, status, contentType, c.result(), null));
        } else {
          finish(fileError(c.cause()));
        }
      });
    });
    response.resume();
  }

  /** A small document: collected in memory, capped at maxBytes like any body. */
  private void storeSmall(Buffer body) {
    committing = true;
    cancelTimer();
    f.files.storeWhole(body, req.storedName()).onComplete(c -> {
      committing = false;
      finish(c.succeeded() ? new FetchResult(null, null, false, -1, url, status, contentType, c.result(), null)
          : fileError(c.cause()));
    });
  }

  private void toMemory(HttpClientResponse response, Long declared, java.util.function.Consumer<Buffer> onBody) {
    Buffer body = Buffer.buffer();
    response.exceptionHandler(err -> finish(classify(err, true, declared)));
    response.handler(chunk -> {
      if (done) {
        return;
      }
      if (body.length() + chunk.length() > req.maxBytes()) {
        finish(FetchResult.failure(ErrorCode.TOO_LARGE, "body exceeds " + req.maxBytes() + " bytes", false));
        return;
      }
      body.appendBuffer(chunk);
    });
    response.endHandler(v -> {
      if (done) {
        return;
      }
      if (declared != null && body.length() < declared) {
        finish(FetchResult.failure(ErrorCode.TRUNCATED, "body ended after " + body.length() + " of " + declared
            + " bytes", true));
        return;
      }
      onBody.accept(body);
    });
  }

  private void redirect(HttpClientResponse response, String location, String scheme, int hops) {
    String next;
    try {
      next = URI.create(url).resolve(encodeIllegal(location.trim())).normalize().toString();
    } catch (IllegalArgumentException e) {
      finish(FetchResult.failure(ErrorCode.INVALID_RESPONSE, "bad redirect Location: " + location, false));
      return;
    }
    int i = next.indexOf('#');
    String target = i < 0 ? next : next.substring(0, i);
    if (visited.contains(target)) {
      finish(FetchResult.failure(ErrorCode.REDIRECT_LOOP, "redirect loop at " + target, false));
      return;
    }
    if (hops + 1 > f.maxRedirects) {
      finish(FetchResult.failure(ErrorCode.REDIRECT_LOOP, "more than " + f.maxRedirects + " redirects", false));
      return;
    }
    if (scheme.equals("https") && target.regionMatches(true, 0, "http:", 0, 5)) {
      finish(FetchResult.failure(ErrorCode.HTTP_STATUS, "redirect from https to http refused: " + target, false));
      return;
    }
    drainThen(response, () -> {
      current = null;
      hop(target, hops + 1);
    });
  }

  /**
   * Percent-encodes what browsers tolerate in a Location but a URI may not hold: spaces, non-ASCII (as
   * UTF-8), quotes and the like. Existing escapes and reserved characters are kept as they are.
   */
  static String encodeIllegal(String location) {
    StringBuilder sb = new StringBuilder(location.length());
    for (byte b : location.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c <= 0x20 || c >= 0x7f || "\"<>\\^`{|}".indexOf(c) >= 0) {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      } else {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  /** Reads and drops a small body so the connection can be reused; a large or unknown one is cut. */
  private void drainThen(HttpClientResponse response, Runnable next) {
    Long length = contentLength(response);
    if (length != null && length <= MAX_STATUS_BODY_DRAIN) {
      response.handler(b -> { });
      response.exceptionHandler(err -> finish(classify(err, false, null)));
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
    FetchResult r = outcome.finalUrl() == null ? outcome.at(url, status, contentType) : outcome;
    if (r.succeeded()) {
      result.complete(r);
      return;
    }
    if (current != null) {
      current.reset();
      current = null;
    }
    // the item is reported only once its partial file is gone
    if (temp != null) {
      temp.discard().onComplete(x -> result.complete(r));
    } else if (opening != null) {
      opening.onComplete(ar -> {
        if (ar.succeeded()) {
          ar.result().discard().onComplete(x -> result.complete(r));
        } else {
          result.complete(r);
        }
      });
    } else {
      result.complete(r);
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

  /** Maps a client failure to a stable error code. */
  static FetchResult classify(Throwable err, boolean inBody, Long declared) {
    Throwable root = err;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String msg = err.getMessage() == null ? err.getClass().getSimpleName() : err.getMessage();
    String lower = (msg + " " + root.getMessage()).toLowerCase(Locale.ROOT);
    if (err instanceof TimeoutException || root instanceof TimeoutException || lower.contains("timeout")
        || lower.contains("timed out")) {
      return FetchResult.failure(ErrorCode.TIMEOUT, msg, true);
    }
    if (root instanceof UnknownHostException) {
      return FetchResult.failure(ErrorCode.CONNECT_FAILED, "cannot resolve host: " + msg, true);
    }
    if (root instanceof ConnectException || lower.contains("connection refused")) {
      return FetchResult.failure(ErrorCode.CONNECT_FAILED, msg, true);
    }
    if (root instanceof SSLException) {
      return FetchResult.failure(ErrorCode.CONNECT_FAILED, "TLS: " + msg, false);
    }
    if (lower.contains("reset")) {
      return FetchResult.failure(ErrorCode.RESET, msg, true);
    }
    if (err instanceof HttpClosedException || lower.contains("closed")) {
      if (inBody && declared != null) {
        return FetchResult.failure(ErrorCode.TRUNCATED, "connection closed before the declared " + declared + " bytes", true);
      }
      return FetchResult.failure(ErrorCode.RESET, "connection closed: " + msg, true);
    }
    if (root instanceof IOException) {
      return FetchResult.failure(ErrorCode.RESET, msg, true);
    }
    if (err instanceof VertxException || lower.contains("invalid") || lower.contains("decoder")) {
      return FetchResult.failure(ErrorCode.INVALID_RESPONSE, msg, false);
    }
    return FetchResult.failure(ErrorCode.INVALID_RESPONSE, msg, false);
  }
}
