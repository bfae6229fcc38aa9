package dev.fetchd.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The API's request meters: {@code fetchd_api_requests_total{operation,method,code}} and
 * {@code fetchd_api_request_duration_seconds{operation}}, labelled by the contract's operation id. Each meter is
 * looked up in the registry once and kept here; Vert.x's own HTTP server meters (switched off) looked theirs up at
 * every request, a sixth of the API loop's time on a {@code GET /jobs/{id}}. Runs first on every request.
 */
final class ApiMetrics implements PlatformHandler {
  /** Where {@link ContractValidator} leaves the operation id of the request it checked. */
  static final String OPERATION = "fetchd.operation";
  /** Requests answered before any operation matched: unknown paths, refused tokens, bodies over the limit. */
  static final String NO_OPERATION = "none";
  /** Request methods kept as label values; a made-up one is counted as OTHER, so clients cannot mint series. */
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");
  /** A dozen bounds from a millisecond (a read) to half a minute (a long poll that was answered late). */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30)};

  private final MeterRegistry registry;
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final Map<Key, Counter> requests = new ConcurrentHashMap<>();

  private record Key(String operation, String method, int code) {
  }

  ApiMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(v -> ended(ctx, System.nanoTime() - start));
    ctx.next();
  }

  private void ended(RoutingContext ctx, long nanos) {
    String operation = ctx.get(OPERATION) instanceof String op ? op : NO_OPERATION;
    String method = ctx.request().method().name();
    HttpServerResponse response = ctx.response();
    // a connection closed before the answer counts under code 0
    Key key = new Key(operation, METHODS.contains(method) ? method : "OTHER", response.ended() ? response.getStatusCode() : 0);
    requests.computeIfAbsent(key, k -> Counter.builder("fetchd.api.requests")
        .description("API requests answered, by contract operation, method and status code (0: closed before the answer)")
        .tag("operation", k.operation()).tag("method", k.method()).tag("code", Integer.toString(k.code()))
        .register(registry)).increment();
    durations.computeIfAbsent(operation, op -> Timer.builder("fetchd.api.request.duration")
        .description("Time from a request's arrival to the end of its answer, by contract operation")
        .tag("operation", op).serviceLevelObjectives(BUCKETS).register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }
}
