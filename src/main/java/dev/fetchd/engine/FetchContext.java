package dev.fetchd.engine;

import dev.fetchd.fetch.Fetcher;
import dev.fetchd.metrics.FetchdMetrics;
import io.vertx.core.Vertx;

/**
 * What one item's fetch needs from its engine, and nothing more: the loop to run on, the per-host and global
 * permits in the order of the design, robots.txt, the fetcher and the meters. {@link ItemTask} sees this, not
 * the engine.
 */
record FetchContext(Vertx vertx, HostLimiter hosts, AsyncSemaphore global, RobotsCheck robots, Fetcher fetcher,
                    FetchdMetrics metrics, long maxCrawlDelayMs) {
}
