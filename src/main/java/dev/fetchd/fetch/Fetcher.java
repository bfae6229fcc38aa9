package dev.fetchd.fetch;

import dev.fetchd.files.FileStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpConnection;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Fetches one URL per call: address check, request, redirects hop by hop (each hop checked again), size
 * limit while streaming, body to a temp file then into place. Knows nothing of jobs beyond the target name;
 * retries and permits are the engine's business.
 */
public final class Fetcher {
  final Vertx vertx;
  final HttpClientAgent client;
  final FileStore files;
  final AddressGuard guard;
  final int maxRedirects;
  final long maxRetryAfterMs;
  final String userAgent;
  /** Connections that have carried a request: a request on one of them is on a reused connection. */
  private final Set<HttpConnection> used = Collections.newSetFromMap(new WeakHashMap<>());

  public Fetcher(Vertx vertx, HttpClientAgent client, FileStore files, AddressGuard guard, int maxRedirects,
                 long maxRetryAfterMs, String userAgent) {
    this.vertx = vertx;
    this.client = client;
    this.files = files;
    this.guard = guard;
    this.maxRedirects = maxRedirects;
    this.maxRetryAfterMs = maxRetryAfterMs;
    this.userAgent = userAgent;
  }

  /**
   * Notes that a request goes out on {@code connection}; true if it is the connection's first. Confined to the
   * engine's event loop like every call of this class; closed connections drop out with their last reference.
   */
  boolean firstUse(HttpConnection connection) {
    return connection == null || used.add(connection);
  }

  /** Starts one attempt; the call's result never fails, it completes with a {@link FetchResult}. */
  public FetchCall fetch(FetchRequest request) {
    FetchCall call = new FetchCall(this, request);
    call.start();
    return call;
  }
}
