package dev.fetchd.fetch;

import dev.fetchd.files.TempFile;
import dev.fetchd.job.ErrorCode;
import io.vertx.core.buffer.Buffer;

/**
 * What one attempt came to. On success {@code stored} (a file) or {@code body} (in memory) is set, except for a
 * {@link #notModified()} answer to a revalidation, which has neither; otherwise {@code error} is.
 *
 * @param retryable    whether another attempt may succeed (connect errors, resets, timeouts, 408, 429, 5xx)
 * @param retryAfterMs the server's Retry-After, capped, or -1 when it gave none
 * @param requestHead  on success, the last request's line and headers as sent (secrets "***"), see {@link HttpHeads}
 * @param responseHead on success, the status line and headers as received, see {@link HttpHeads}
 */
public record FetchResult(ErrorCode error, String message, boolean retryable, long retryAfterMs, String finalUrl,
                          Integer status, String contentType, TempFile.Stored stored, Buffer body,
                          String requestHead, String responseHead) {
  /** Longer messages are cut: they end up in every listing of the item. */
  static final int MAX_MESSAGE = 1000;

  public FetchResult {
    message = clean(message);
  }

  public FetchResult(ErrorCode error, String message, boolean retryable, long retryAfterMs, String finalUrl,
                     Integer status, String contentType, TempFile.Stored stored, Buffer body) {
    this(error, message, retryable, retryAfterMs, finalUrl, status, contentType, stored, body, null, null);
  }

  /**
   * A message fit to show: messages are built from what a target sent (a status line, a Location, an exception's
   * text quoting either), so control characters (NUL, ESC, newlines, C1) become U+FFFD and the length is capped.
   */
  static String clean(String message) {
    if (message == null) {
      return null;
    }
    int n = Math.min(message.length(), MAX_MESSAGE);
    StringBuilder sb = null;
    for (int i = 0; i < n; i++) {
      char c = message.charAt(i);
      boolean bad = Character.isISOControl(c) || (Character.isSurrogate(c)
          && !(Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(message.charAt(i + 1)))
          && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(message.charAt(i - 1))));
      if (bad && sb == null) {
        sb = new StringBuilder(n + 1).append(message, 0, i);
      }
      if (sb != null) {
        sb.append(bad ? '\uFFFD' : c);
      }
    }
    String out = sb != null ? sb.toString() : message.substring(0, n);
    return n < message.length() ? out + "\u2026" : out;
  }

  public boolean succeeded() {
    return error == null;
  }

  /**
   * The target answered 304 Not Modified to the request's {@link Validators}: the earlier body stands, nothing was
   * stored. The heads are this exchange's (the 304's).
   */
  public boolean notModified() {
    return error == null && stored == null && body == null && status != null && status == 304;
  }

  static FetchResult notModified(String url, String contentType, String requestHead, String responseHead) {
    return new FetchResult(null, null, false, -1, url, 304, contentType, null, null, requestHead, responseHead);
  }

  static FetchResult failure(ErrorCode code, String message, boolean retryable) {
    return new FetchResult(code, message, retryable, -1, null, null, null, null, null);
  }

  FetchResult at(String finalUrl, Integer status, String contentType) {
    return new FetchResult(error, message, retryable, retryAfterMs, finalUrl, status, contentType, stored, body,
        requestHead, responseHead);
  }
}
