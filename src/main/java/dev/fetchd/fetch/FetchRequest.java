package dev.fetchd.fetch;

/**
 * One attempt to fetch a URL: an item's body, stored in the files folder under its sha256 (its temp file tagged
 * {@code storedName}, see {@link dev.fetchd.files.FileStore#tempTag}), or a small document kept in memory
 * (robots.txt).
 *
 * @param timeoutMs  deadline of the whole exchange, redirects, headers and body included
 * @param inMemory   keep the body in memory instead of storing it: its first {@code maxBytes} are the answer, and a
 *                   longer body is cut there rather than refused (robots.txt: RFC 9309 section 2.5 asks crawlers to
 *                   parse at least the first 500 KiB of a larger file)
 * @param headers    the job's headers and cookies per hop, or null
 * @param validators a recrawl's validators of an earlier body (a 304 then ends the fetch as
 *                   {@link FetchResult#notModified()}), or null
 */
public record FetchRequest(String url, String storedName, long maxBytes, long timeoutMs, boolean inMemory,
                           HopHeaders headers, Validators validators) {

  /** Without headers of a job: fetchd's own User-Agent only. */
  public FetchRequest(String url, String storedName, long maxBytes, long timeoutMs, boolean inMemory) {
    this(url, storedName, maxBytes, timeoutMs, inMemory, null, null);
  }

  /** Without validators: an unconditional fetch. */
  public FetchRequest(String url, String storedName, long maxBytes, long timeoutMs, boolean inMemory,
                      HopHeaders headers) {
    this(url, storedName, maxBytes, timeoutMs, inMemory, headers, null);
  }

  /** The same request with a job's headers (its User-Agent, headers and cookies), decided per hop. */
  public FetchRequest with(HopHeaders headers) {
    return new FetchRequest(url, storedName, maxBytes, timeoutMs, inMemory, headers, validators);
  }

  /** The same request, conditional on {@code validators} (null: unconditional). */
  public FetchRequest with(Validators validators) {
    return new FetchRequest(url, storedName, maxBytes, timeoutMs, inMemory, headers, validators);
  }

  /** An item's body, streamed to its file. */
  public static FetchRequest toFile(String url, String storedName, long maxBytes, long timeoutMs) {
    return new FetchRequest(url, storedName, maxBytes, timeoutMs, false);
  }

  /** A small document kept in memory, read up to {@code maxBytes}. */
  public static FetchRequest toMemory(String url, long maxBytes, long timeoutMs) {
    return new FetchRequest(url, null, maxBytes, timeoutMs, true);
  }
}
