package dev.fetchd.fetch;

/**
 * One attempt to fetch a URL: an item's body, stored as {@code files/<jobId>/<index>}, or a small document
 * kept in memory (robots.txt).
 *
 * @param timeoutMs deadline of the whole exchange, redirects, headers and body included
 * @param inMemory  keep the body in memory (at most {@code maxBytes}) instead of storing it
 */
public record FetchRequest(String url, String jobId, int index, long maxBytes, long timeoutMs, boolean inMemory) {

  /** An item's body, streamed to its file. */
  public static FetchRequest toFile(String url, String jobId, int index, long maxBytes, long timeoutMs) {
    return new FetchRequest(url, jobId, index, maxBytes, timeoutMs, false);
  }

  /** A small document kept in memory. */
  public static FetchRequest toMemory(String url, long maxBytes, long timeoutMs) {
    return new FetchRequest(url, null, -1, maxBytes, timeoutMs, true);
  }
}
