package dev.fetchd.engine;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.crawl.RobotsCache;
import dev.fetchd.crawl.RobotsRules;
import dev.fetchd.crawl.UrlNormalizer;
import dev.fetchd.fetch.FetchRequest;
import dev.fetchd.fetch.Fetcher;
import dev.fetchd.fetch.HopHeaders;
import dev.fetchd.job.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The robots.txt rules for a URL's origin, shared by every job of this engine: fetched once (concurrent
 * asks for the same origin wait on the same fetch), parsed on a worker, cached with a TTL (a day when
 * fetched, minutes when unreachable). A job with a User-Agent of its own gets the rules for its product
 * token: cached under that token and origin, fetched with that User-Agent and nothing else of the job (the
 * rules are shared by every job of that token). Per RFC 9309: 4xx means allow all; 5xx, 429 or no answer
 * means disallow all, for a while. Confined to the engine's event loop.
 */
final class RobotsCheck {
  private static final Logger log = LoggerFactory.getLogger(RobotsCheck.class);
  private static final long FETCH_TIMEOUT_MS = 10_000;

  private final Vertx vertx;
  private final Fetcher fetcher;
  private final HostLimiter hosts;
  private final AsyncSemaphore global;
  private final String userAgent;
  private final RobotsCache cache = new RobotsCache();
  private final Map<String, Future<RobotsRules>> inFlight = new HashMap<>();
  /** Allow-all for a host that cannot be reached: the page fetch then reports the real error. */
  private static final RobotsRules UNREACHABLE_HOST = RobotsRules.parse(new byte[0], "text/plain", "http://unreachable.invalid/robots.txt", "fetchd");

  RobotsCheck(Vertx vertx, Fetcher fetcher, String userAgent, HostLimiter hosts, AsyncSemaphore global) {
    this.vertx = vertx;
    this.fetcher = fetcher;
    this.hosts = hosts;
    this.global = global;
    this.userAgent = userAgent;
  }

  /**
   * The rules that apply to {@code url}; never fails (an unusable URL gets disallow-all). A fetch of robots.txt
   * is a request to the host like any other: it takes a host slot (with the asking job's limits) and a global
   * permit, in that order, and gives them back when it ends.
   */
  Future<RobotsRules> rulesFor(String url, int perHostConcurrency, long perHostDelayMs) {
    return rulesFor(url, perHostConcurrency, perHostDelayMs, null);
  }

  /** The same for a job's own User-Agent ({@code null}: the service's). */
  Future<RobotsRules> rulesFor(String url, int perHostConcurrency, long perHostDelayMs, String jobUserAgent) {
    String ua = jobUserAgent == null ? userAgent : jobUserAgent;
    String originKey = RobotsCache.keyOf(url);
    if (originKey == null) {
      return Future.succeededFuture(RobotsRules.disallowAll());
    }
    // one entry per product token and origin: another token may be allowed what this one is not
    String token = RobotsRules.productToken(ua);
    String origin = jobUserAgent == null ? originKey : RobotsCache.keyOf(url, token == null ? "*" : token);
    RobotsRules cached = cache.get(origin, now());
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    Future<RobotsRules> pending = inFlight.get(origin);
    if (pending == null) {
      // not computeIfAbsent: the fetch may complete synchronously (a refused address) and its cleanup
      // must find the entry already in place
      Promise<RobotsRules> p = Promise.promise();
      inFlight.put(origin, p.future());
      fetch(origin, originKey, ua, perHostConcurrency, perHostDelayMs).onComplete(p);
      pending = p.future();
    }
    return pending;
  }

  private Future<RobotsRules> fetch(String origin, String originUrl, String ua, int perHostConcurrency,
                                    long perHostDelayMs) {
    NormalizedUrl parsed = UrlNormalizer.parse(originUrl);
    String robotsUrl = parsed != null ? parsed.robotsUrl() : originUrl + "/robots.txt";
    String host = NormalizedUrl.hostKey(robotsUrl);
    return hosts.acquire(host, perHostConcurrency, perHostDelayMs)
        .compose(slot -> global.acquire()
            .compose(permit -> fetcher.fetch(FetchRequest.toMemory(robotsUrl, RobotsRules.MAX_PARSE_BYTES + 64 * 1024,
                    FETCH_TIMEOUT_MS).with(HopHeaders.userAgent(ua))).result()
                .onComplete(x -> global.release()))
            .onComplete(x -> hosts.release(host)))
        .compose(r -> {
          if (r.succeeded()) {
            byte[] body = r.body().getBytes();
            return vertx.executeBlocking(() -> RobotsRules.parse(body, r.contentType(), robotsUrl, ua), false);
          }
          if (r.status() != null && (r.status() < 200 || r.status() >= 300)) {
            return Future.succeededFuture(RobotsRules.forStatus(r.status()));
          }
          if (r.error() == ErrorCode.BLOCKED_ADDRESS || r.error() == ErrorCode.CONNECT_FAILED) {
            // the site cannot be reached at all: let each page fail with that reason rather than pass it
            // off as a robots.txt verdict (for a short while only, like any unreachable robots.txt)
            return Future.succeededFuture(UNREACHABLE_HOST);
          }
          // no answer at all (or a body too large to be a robots.txt): unreachable, so disallow for a while
          log.info("robots.txt of {} unreachable ({}): disallowing for now", originUrl, r.error().wire());
          return Future.succeededFuture(RobotsRules.disallowAll());
        })
        .recover(err -> Future.succeededFuture(RobotsRules.disallowAll()))
        .onComplete(ar -> {
          inFlight.remove(origin);
          RobotsRules rules = ar.result();
          if (rules == UNREACHABLE_HOST) {
            cache.put(origin, rules, now(), RobotsCache.DEFAULT_ERROR_TTL_MS);
          } else {
            cache.put(origin, rules, now());
          }
        });
  }

  private static long now() {
    return System.currentTimeMillis();
  }
}
