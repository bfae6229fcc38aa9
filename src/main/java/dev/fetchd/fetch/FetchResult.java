package dev.fetchd.fetch;

import dev.fetchd.files.TempFile;
import dev.fetchd.job.ErrorCode;
import io.vertx.core.buffer.Buffer;

/**
 * What one attempt came to. On success {@code stored} (a file) or {@code body} (in memory) is set;
 * otherwise {@code error} is.
 *
 * @param retryable    whether another attempt may succeed (connect errors, resets, timeouts, 408, 429, 5xx)
 * @param retryAfterMs the server's Retry-After, capped, or -1 when it gave none
 */
public record FetchResult(ErrorCode error, String message, boolean retryable, long retryAfterMs, String finalUrl,
                          Integer status, String contentType, TempFile.Stored stored, Buffer body) {

  public boolean succeeded() {
    return error == null;
  }

  static FetchResult failure(ErrorCode code, String message, boolean retryable) {
    return new FetchResult(code, message, retryable, -1, null, null, null, null, null);
  }

  FetchResult at(String finalUrl, Integer status, String contentType) {
    return new FetchResult(error, message, retryable, retryAfterMs, finalUrl, status, contentType, stored, body);
  }
}
