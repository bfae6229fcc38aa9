package dev.fetchd;

import dev.fetchd.api.ApiRouter;
import dev.fetchd.api.ApiServer;
import dev.fetchd.api.JobViews;
import dev.fetchd.config.FetchdConfig;
import dev.fetchd.crawl.CrawlScope;
import dev.fetchd.engine.JobEngine;
import dev.fetchd.fetch.AddressGuard;
import dev.fetchd.fetch.CachingResolver;
import dev.fetchd.fetch.Fetcher;
import dev.fetchd.fetch.Resolver;
import dev.fetchd.files.FileStore;
import dev.fetchd.metrics.EventLoopLagProbe;
import dev.fetchd.metrics.FetchdMetrics;
import dev.fetchd.store.JobDriver;
import dev.fetchd.store.MemoryJobStore;
import dev.fetchd.store.PgJobStore;
import dev.fetchd.store.SecretBox;
import dev.fetchd.webhook.WebhookDispatcher;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.function.Supplier;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one verticle: its event loop owns every job. start() is one chain: files, store, contract, router,
 * listen. stop() is the graceful shutdown: not ready, no new jobs, running jobs get the grace period.
 */
public final class FetchdVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(FetchdVerticle.class);

  private final FetchdConfig config;
  private final PrometheusMeterRegistry registry;
  private final Resolver resolverOverride;
  private JobEngine engine;
  private JobDriver store;
  private HttpClientAgent client;
  private HttpClientAgent webhookClient;
  private HttpServer server;
  private EventLoopLagProbe lag;
  private WorkerExecutor dnsWorkers;
  private volatile boolean ready;

  /**
   * @param resolver host name resolver for the address guard; null for the system resolver (tests inject
   *                 their own so that no name ever resolves to a real network)
   */
  public FetchdVerticle(FetchdConfig config, PrometheusMeterRegistry registry, Resolver resolver) {
    this.config = config;
    this.registry = registry;
    this.resolverOverride = resolver;
  }

  @Override
  public Future<?> start() {
    FetchdMetrics metrics = new FetchdMetrics(registry);
    lag = new EventLoopLagProbe(vertx);
    metrics.gauge("fetchd.event.loop.lag.seconds", "Worst delay of the engine's event loop over the last second",
        lag::lagSeconds);
    FileStore files = new FileStore(vertx, config.dataDir(), config.fsyncBodies());
    store = config.store().equals("postgres")
        ? PgJobStore.create(vertx, config.pgUrl(), config.pgPoolSize(), config.pgSchema().isBlank() ? null : config.pgSchema(),
            config.pgPassword())
            .secrets(config.secretsKeyBytes() == null ? null : new SecretBox(config.secretsKeyBytes()))
        : new MemoryJobStore();
    client = vertx.createHttpClient(new HttpClientOptions()
            .setConnectTimeout(config.fetchConnectTimeoutMs())
            .setDecompressionSupported(false)
            .setKeepAlive(true)
            .setIdleTimeout(60)
            .setMaxRedirects(0)
            .setTrustAll(false)
            .setVerifyHost(true),
        // the global semaphore is the limit; the pool must never be the bottleneck nor queue behind it. Its wait
        // queue has room beyond the permits: a cancelled fetch gives its permit back at once, while its request
        // and connection leave the pool a moment later, and the next fetch must not be refused meanwhile
        new PoolOptions().setHttp1MaxSize(config.fetchMaxConcurrency())
            .setMaxWaitQueueSize(4 * config.fetchMaxConcurrency()));
    AddressGuard guard = new AddressGuard(config.allowPrivateNetworks(), config.allowNetworks(), resolver());
    Fetcher fetcher = new Fetcher(vertx, client, files, guard, config.fetchMaxRedirects(), config.fetchMaxRetryAfterMs(),
        config.fetchUserAgent());
    // webhook deliveries have a client of their own: short timeouts, no redirects, apart from the fetch pool
    webhookClient = vertx.createHttpClient(new HttpClientOptions()
            .setConnectTimeout((int) Math.min(config.webhooksTimeoutMs(), config.fetchConnectTimeoutMs()))
            .setKeepAlive(true)
            .setIdleTimeout(30)
            .setMaxRedirects(0)
            .setVerifyHost(true),
        new PoolOptions().setHttp1MaxSize(4));
    WebhookDispatcher webhooks = new WebhookDispatcher(vertx, store.webhooks(), guard, webhookClient, metrics,
        config.webhooksRetryBaseMs(), config.webhooksTimeoutMs(), config.fetchUserAgent(), JobViews::job, JobViews::item);
    engine = new JobEngine(vertx, config, store, fetcher, files, metrics, webhooks);
    return files.init(config.store().equals("postgres"), 3_600_000)
        .onSuccess(removed -> {
          if (removed > 0) {
            log.info("removed {} partial files left by an earlier run", removed);
          }
        })
        .compose(v -> store.init())
        .compose(v -> removeOrphans(files))
        // the public suffix list (domain scope) loads in ~0.3 s on first use: never on the event loop
        .compose(v -> vertx.executeBlocking(() -> {
          CrawlScope.warmUp();
          return null;
        }, false))
        .compose(v -> engine.start())
        .compose(v -> onApiLoop(() -> ApiRouter.create(vertx, config, engine, files, registry, () -> ready)
            .compose(router -> ApiServer.listen(vertx, config, registry, router))))
        .onSuccess(s -> {
          server = s;
          lag.start();
          ready = true;
          log.info("fetchd listening on port {} (data dir {}, store {}, private networks {})", s.actualPort(),
              files.root(), config.store(), config.allowPrivateNetworks() ? "allowed" : "refused");
          if (!config.authEnabled()) {
            log.warn("no API tokens configured (FETCHD_API_TOKENS): anyone who reaches port {} can submit jobs",
                s.actualPort());
          }
        });
  }

  @Override
  public Future<?> stop() {
    ready = false;
    log.info("shutting down: refusing new jobs, grace period {} ms", config.shutdownGraceMs());
    return engine.shutdown(config.shutdownGraceMs())
        .eventually(() -> {
          lag.stop();
          return engine.stop();
        })
        // the server lives on the API's own loop, outside this verticle: it is closed here, not by the undeploy
        .eventually(() -> server != null ? server.close() : Future.succeededFuture())
        .eventually(() -> store.close())
        .eventually(() -> client.close())
        .eventually(() -> webhookClient.close())
        .onComplete(ar -> log.info("fetchd stopped"));
  }

  /**
   * Runs {@code op} on an event loop of the API's own, not the engine's: HTTP parsing, validation and JSON then
   * never queue behind fetches (nor fetches behind them), and every call into the engine hops to its loop
   * ({@link JobEngine#onLoop}), where job state stays. Completes on this verticle's context.
   */
  private <T> Future<T> onApiLoop(Supplier<Future<T>> op) {
    ContextInternal engineContext = (ContextInternal) context;
    VertxInternal vx = (VertxInternal) vertx;
    ContextInternal api = vx.createEventLoopContext();
    // event loops are handed out in turn: skip the engine's own
    for (int i = 0; i < 16 && api.nettyEventLoop() == engineContext.nettyEventLoop(); i++) {
      api = vx.createEventLoopContext();
    }
    Promise<T> done = engineContext.promise();
    ContextInternal apiContext = api;
    apiContext.runOnContext(v -> {
      try {
        op.get().onComplete(done);
      } catch (RuntimeException e) {
        done.fail(e);
      }
    });
    return done.future();
  }

  /**
   * Deletes the per-job folders of bodies an earlier version stored ({@code files/<jobId>}) whose job the store does
   * not know (a crash between a job's removal and its files', or any restart with the in-memory store). Bodies in
   * the content-addressed store that nothing refers to are the sweep's.
   */
  private Future<Void> removeOrphans(FileStore files) {
    return files.jobsWithFiles().compose(ids -> {
      Future<Integer> removed = Future.succeededFuture(0);
      for (String id : ids) {
        removed = removed.compose(n -> store.get(id).compose(job -> job != null ? Future.succeededFuture(n)
            : files.deleteJob(id).map(x -> n + 1)));
      }
      return removed.map(n -> {
        if (n > 0) {
          log.info("removed the stored files of {} jobs the store does not know", n);
        }
        return null;
      });
    });
  }

  /** The port the server listens on (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  public JobEngine engine() {
    return engine;
  }

  private Resolver resolver() {
    if (resolverOverride != null) {
      return resolverOverride;
    }
    dnsWorkers = vertx.createSharedWorkerExecutor("fetchd-dns", 8, 10, TimeUnit.SECONDS);
    Resolver system = host -> dnsWorkers.<List<InetAddress>>executeBlocking(
            () -> Arrays.asList(InetAddress.getAllByName(host)), false)
        .timeout(5, TimeUnit.SECONDS);
    return new CachingResolver(system, 30_000, 10_000);
  }
}
