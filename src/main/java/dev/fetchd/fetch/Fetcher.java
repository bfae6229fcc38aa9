package dev.fetchd.fetch;

import dev.fetchd.files.FileStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;

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

  /** Starts one attempt; the call's result never fails, it completes with a {@link FetchResult}. */
  public FetchCall fetch(FetchRequest request) {
    FetchCall call = new FetchCall(this, request);
    call.start();
    return call;
  }
}
