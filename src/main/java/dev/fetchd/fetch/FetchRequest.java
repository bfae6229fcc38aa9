package dev.fetchd.fetch;

/**
 * One attempt to fetch an item's URL and store its body as {@code files/<jobId>/<index>}.
 *
 * @param timeoutMs deadline of the whole exchange, redirects, headers and body included
 */
public record FetchRequest(String url, String jobId, int index, long maxBytes, long timeoutMs) {
}
