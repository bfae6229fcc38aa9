package dev.fetchd;

import dev.fetchd.cli.FetchdCli;
import dev.fetchd.config.ConfigException;
import dev.fetchd.config.ConfigLoader;
import dev.fetchd.config.FetchdConfig;
import dev.fetchd.metrics.MetricsBounds;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the configuration, starts Vert.x with metrics, deploys the verticle, and stops it on SIGTERM. */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) {
    if (FetchdCli.isClientCommand(args)) {
      // a client command (submit, jobs, ...): talks to a running fetchd over HTTP, then exits
      System.exit(FetchdCli.run(args));
      return;
    }
    serve(args.length > 0 && args[0].equals("serve") ? Arrays.copyOfRange(args, 1, args.length) : args);
  }

  /** Starts the service: {@code java -jar fetchd.jar [serve] [--config fetchd.yaml]}. */
  static void serve(String[] args) {
    String logFormat = System.getenv().getOrDefault("FETCHD_LOG_FORMAT", "text");
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      System.err.println("fetchd: bad configuration: FETCHD_LOG_FORMAT must be text or json, not '" + logFormat + "'");
      System.exit(2);
      return;
    }
    Logger log = LoggerFactory.getLogger(Main.class);
    FetchdConfig config;
    try {
      config = ConfigLoader.load(configArg(args), System.getenv());
    } catch (ConfigException e) {
      System.err.println("fetchd: bad configuration: " + e.getMessage());
      System.exit(2);
      return;
    }
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = createVertx(new VertxOptions(), registry);
    FetchdVerticle verticle = new FetchdVerticle(config, registry, null);
    Future<String> deployment = vertx.deployVerticle(verticle).onFailure(err -> {
      log.error("fetchd failed to start: {}", err.getMessage(), err);
      vertx.close();
      org.apache.logging.log4j.LogManager.shutdown();
      System.exit(1);
    });
    long graceMs = config.shutdownGraceMs();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        stop(vertx, deployment, graceMs + 15_000);
      } catch (Exception e) {
        System.err.println("fetchd: shutdown did not finish cleanly: " + e);
      } finally {
        // log4j2.xml leaves stopping to us, so the drain's lines are written before the async appender stops
        org.apache.logging.log4j.LogManager.shutdown();
      }
    }, "fetchd-shutdown"));
  }

  /**
   * Undeploys the verticle first, then closes Vert.x. Closing Vert.x alone would close the HTTP client at
   * the same time as the verticle's stop() runs, cutting the requests the grace period is meant to let
   * finish.
   */
  public static void stop(Vertx vertx, Future<String> deployment, long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    try {
      if (deployment.succeeded()) {
        vertx.undeploy(deployment.result()).toCompletionStage().toCompletableFuture()
            .get(timeoutMs, TimeUnit.MILLISECONDS);
      }
    } finally {
      // two steps from this thread: a close chained on the undeploy future would complete on an event loop
      // that the close itself terminates
      vertx.close().toCompletionStage().toCompletableFuture()
          .get(Math.max(1_000, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
    }
  }

  /** A Vert.x whose worker pools report to {@code registry}, with JVM meters. */
  public static Vertx createVertx(VertxOptions options, PrometheusMeterRegistry registry) {
    // before any meter exists: no per-origin series, names promtool accepts
    MetricsBounds.apply(registry);
    options.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        // per-request meter lookups in the registry: the API counts its requests itself (fetchd_api_*), the
        // fetch side its attempts (fetchd_fetch_*), each with meters resolved once
        .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
        .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
        // pool names label worker pools; the HTTP client's pools, named by origin, are dropped by MetricsBounds
        .setLabels(EnumSet.of(Label.POOL_TYPE, Label.POOL_NAME)));
    return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(registry)).build();
  }

  private static Path configArg(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--config=")) {
        return Path.of(args[i].substring("--config=".length()));
      }
      if (args[i].equals("--help") || args[i].equals("-h")) {
        System.out.println("usage: java -jar fetchd.jar [serve] [--config fetchd.yaml]\n"
            + "Settings come from defaults, then the YAML file (or FETCHD_CONFIG), then FETCHD_* variables.\n"
            + "Client commands (submit, jobs, status, items, cancel, wait, get): java -jar fetchd.jar help");
        System.exit(0);
      }
    }
    return null;
  }
}
