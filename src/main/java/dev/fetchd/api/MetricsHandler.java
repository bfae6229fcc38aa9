package dev.fetchd.api;

import dev.fetchd.engine.JobEngine;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * GET /metrics in the format the scraper asks for: OpenMetrics when its {@code Accept} prefers
 * {@code application/openmetrics-text} (Prometheus's default header) to {@code text/plain}, else the Prometheus
 * text format. Vert.x's PrometheusScrapingHandler always answers the latter.
 */
final class MetricsHandler implements Handler<RoutingContext> {
  static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
  static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;
  private final JobEngine engine;

  /** Scrapes on the engine's loop: the engine's gauges read its state, which only that loop may touch. */
  MetricsHandler(PrometheusMeterRegistry registry, JobEngine engine) {
    this.registry = registry;
    this.engine = engine;
  }

  @Override
  public void handle(RoutingContext ctx) {
    // the writer for this content type is chosen by the registry; no protobuf: the answer is a String
    String type = prefersOpenMetrics(ctx.request().getHeader(HttpHeaders.ACCEPT)) ? OPENMETRICS : TEXT;
    engine.onLoop(() -> Future.succeededFuture(registry.scrape(type)), text -> text)
        .onSuccess(text -> ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, type).end(text))
        .onFailure(ctx::fail);
  }

  /**
   * OpenMetrics if it is acceptable (q above 0) and at least as acceptable as text/plain; a tie goes to it only
   * when it is named (Prometheus names both), not when both match a wildcard such as curl's {@code *}{@code /*},
   * which keeps the classic text. Neither acceptable: the text format, the default, rather than a 406.
   */
  static boolean prefersOpenMetrics(String accept) {
    AcceptHeader h = AcceptHeader.parse(accept);
    double om = h.quality("application/openmetrics-text");
    double text = h.quality("text/plain");
    return om > 0 && (om > text || om == text && h.names("application/openmetrics-text"));
  }
}
