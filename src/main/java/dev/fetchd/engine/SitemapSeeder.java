package dev.fetchd.engine;

import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.crawl.RobotsCache;
import dev.fetchd.crawl.RobotsRules;
import dev.fetchd.crawl.SitemapDocument;
import dev.fetchd.crawl.UrlNormalizer;
import dev.fetchd.fetch.FetchRequest;
import dev.fetchd.fetch.FetchResult;
import dev.fetchd.fetch.HopHeaders;
import dev.fetchd.job.Limits;
import io.vertx.core.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the sitemaps of a crawl's seed origins ({@code crawl.sitemaps}): the {@code Sitemap:} lines of each
 * origin's robots.txt (through the engine's shared {@link RobotsCheck}), else {@code <origin>/sitemap.xml}; then
 * the sitemaps an index names, breadth first, up to {@link #MAX_DEPTH} levels and {@link #MAX_DOCUMENTS}
 * documents per job. Documents are fetched one at a time into memory (at most 50 MiB, the protocol's limit) by
 * the engine's fetcher, which applies the address guard, taking a host slot and a global permit like any request;
 * they are parsed on a worker. A document that cannot be fetched or read is logged and skipped: sitemaps only add
 * URLs, they never fail a job. Runs on the engine's loop; the result is the in-scope URLs, in sitemap order.
 */
final class SitemapSeeder {
  private static final Logger log = LoggerFactory.getLogger(SitemapSeeder.class);
  static final int MAX_DEPTH = 3;
  static final int MAX_DOCUMENTS = 50;
  private static final long FETCH_TIMEOUT_MS = 30_000;

  /** A URL a sitemap listed (normalised, in scope) and the sitemap that listed it. */
  record Found(String url, String sitemap) {
  }

  private record Doc(String url, int level) {
  }

  private final JobEngine engine;
  private final Limits limits;
  private final String jobUserAgent;
  private final String jobId;
  /** The crawl's scope and include/exclude: client regular expressions, so applied on the worker. */
  private final Predicate<String> scope;
  private final int maxUrls;
  /** True once the job ends (cancel, deadline, shutdown): no further document is read. */
  private final java.util.function.BooleanSupplier stopped;
  private final ArrayDeque<Doc> queue = new ArrayDeque<>();
  private final Set<String> queued = new HashSet<>();
  private final Set<String> urls = new HashSet<>();
  private final List<Found> found = new ArrayList<>();
  private int documents;

  SitemapSeeder(JobEngine engine, String jobId, Limits limits, String jobUserAgent, Predicate<String> scope,
                int maxUrls, java.util.function.BooleanSupplier stopped) {
    this.stopped = stopped;
    this.engine = engine;
    this.jobId = jobId;
    this.limits = limits;
    this.jobUserAgent = jobUserAgent;
    this.scope = scope;
    this.maxUrls = maxUrls;
  }

  /** The in-scope URLs the sitemaps of these seeds' origins list (at most {@code maxUrls}); never fails. */
  Future<List<Found>> discover(List<String> seeds) {
    Set<String> origins = new LinkedHashSet<>();
    for (String seed : seeds) {
      String origin = RobotsCache.keyOf(seed);
      if (origin != null) {
        origins.add(origin);
      }
    }
    Future<Void> chain = Future.succeededFuture();
    for (String origin : origins) {
      chain = chain.compose(v -> engine.robots.rulesFor(origin + "/", limits.perHostConcurrency(),
              limits.perHostDelayMs(), jobUserAgent)
          .map(rules -> {
            List<String> named = rules.kind() == RobotsRules.Kind.PARSED ? rules.sitemaps() : List.of();
            for (String s : named.isEmpty() ? List.of(origin + "/sitemap.xml") : named) {
              enqueue(s, 0);
            }
            return (Void) null;
          }));
    }
    return chain.compose(v -> next()).map(v -> List.copyOf(found))
        .recover(err -> {
          log.warn("job {}: reading sitemaps failed: {}", jobId, err.toString());
          return Future.succeededFuture(List.copyOf(found));
        });
  }

  private void enqueue(String url, int level) {
    String n = UrlNormalizer.normalize(url);
    if (n != null && level <= MAX_DEPTH && queued.add(n)) {
      queue.add(new Doc(n, level));
    }
  }

  /** Reads the queued documents one after the other until none is left, or a budget is spent. */
  private Future<Void> next() {
    Doc doc = queue.poll();
    if (doc == null || documents >= MAX_DOCUMENTS || found.size() >= maxUrls || stopped.getAsBoolean()) {
      return Future.succeededFuture();
    }
    documents++;
    return read(doc).recover(err -> {
      log.info("job {}: sitemap {} skipped: {}", jobId, doc.url(), err.getMessage());
      return Future.succeededFuture();
    }).compose(v -> next());
  }

  private Future<Void> read(Doc doc) {
    String host = NormalizedUrl.hostKey(doc.url());
    String ua = jobUserAgent != null ? jobUserAgent : engine.config.fetchUserAgent();
    FetchRequest request = FetchRequest.toMemory(doc.url(), SitemapDocument.MAX_BYTES, FETCH_TIMEOUT_MS)
        .with(HopHeaders.userAgent(ua));
    return engine.hosts.acquire(host, limits.perHostConcurrency(), limits.perHostDelayMs())
        .compose(slot -> engine.global.acquire()
            .compose(permit -> engine.fetcher.fetch(request).result().onComplete(x -> engine.global.release()))
            .onComplete(x -> engine.hosts.release(host)))
        .compose(r -> {
          if (!r.succeeded()) {
            return Future.failedFuture(describe(r));
          }
          byte[] body = r.body().getBytes();
          String base = r.finalUrl() != null ? r.finalUrl() : doc.url();
          int room = maxUrls - found.size();
          // parse and scope on a worker: a 50 MiB document or a bad include pattern must not stall the loop
          return engine.vertx.executeBlocking(() -> {
            SitemapDocument d = SitemapDocument.parse(body, base, Math.max(room * 4, 1000));
            List<String> inScope = new ArrayList<>();
            for (String u : d.urls()) {
              String n = UrlNormalizer.normalize(u);
              if (n != null && scope.test(n)) {
                inScope.add(n);
              }
            }
            return new SitemapDocument(inScope, d.sitemaps());
          }, false);
        })
        .map(d -> {
          for (String u : d.urls()) {
            if (found.size() >= maxUrls) {
              break;
            }
            if (urls.add(u)) {
              found.add(new Found(u, doc.url()));
            }
          }
          for (String s : d.sitemaps()) {
            enqueue(s, doc.level() + 1);
          }
          return null;
        });
  }

  private static Throwable describe(FetchResult r) {
    String what = r.status() != null ? "HTTP " + r.status() : r.error() != null ? r.error().wire() : "no answer";
    return new IllegalStateException(r.message() != null ? r.message() : what);
  }
}
