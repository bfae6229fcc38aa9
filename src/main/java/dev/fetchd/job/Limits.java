package dev.fetchd.job;

/**
 * The per-job limits, fully resolved (service defaults filled in for what the client left out).
 *
 * @param concurrency        fetches of this job in flight at once
 * @param perHostConcurrency fetches to one host in flight at once (counted across all jobs)
 * @param perHostDelayMs     pause between the starts of two requests to one host
 * @param requestTimeoutMs   deadline of one whole exchange, headers and body
 * @param timeoutMs          deadline of the whole job, from the moment it starts running
 * @param maxBytes           largest body stored for one item
 * @param retries            extra attempts after a retryable failure
 */
public record Limits(int concurrency, int perHostConcurrency, long perHostDelayMs, long requestTimeoutMs,
                     long timeoutMs, long maxBytes, int retries) {
}
