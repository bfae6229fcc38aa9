package dev.fetchd.api;

import dev.fetchd.config.FetchdConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.Channel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The API's HTTP server and its connection limits: at most {@code http.maxConnections} open connections,
 * each with an idle timeout and deadlines for a request's head and body ({@link ConnectionDeadlines}).
 * Past the cap a few more connections ({@link #HEALTH_RESERVE}) are let in for health checks only, so
 * that a flood of idle connections cannot make the liveness probe fail; they get one answer (others a 503
 * problem) and are closed. Beyond those, a connection is closed as soon as it is accepted. Request bodies
 * are held in memory up to {@code http.maxBodyBytes} each, so together they are bounded too
 * ({@code http.maxBodyBytesInFlight}, a quarter of the heap by default): past it a request with a body gets
 * a 503 problem before its body is read.
 */
public final class ApiServer {
  /** Connections over the cap that may still ask for /health/live or /health/ready. */
  public static final int HEALTH_RESERVE = 16;
  /** How long such a connection may stay without sending a request. */
  static final long RESERVE_IDLE_MS = 1_000;

  private final FetchdConfig config;
  private final AtomicInteger open = new AtomicInteger();
  /** Bytes of request bodies being read or held at once: each body may reach the limit, in memory. */
  private final long bodyBudget;
  private final AtomicLong bodiesInFlight = new AtomicLong();
  private final Counter refused;

  private ApiServer(FetchdConfig config, MeterRegistry registry) {
    this.config = config;
    this.bodyBudget = Math.max(config.httpMaxBodyBytes(), config.httpMaxBodyBytesInFlight() > 0
        ? config.httpMaxBodyBytesInFlight() : Runtime.getRuntime().maxMemory() / 4);
    this.refused = Counter.builder("fetchd.http.connections.refused")
        .description("API connections closed on accept because http.maxConnections was reached")
        .register(registry);
    Gauge.builder("fetchd.http.connections", open, AtomicInteger::get)
        .description("Open API connections").register(registry);
  }

  /** Starts the API server on {@code http.host:http.port} with {@code router}. */
  public static Future<HttpServer> listen(Vertx vertx, FetchdConfig config, MeterRegistry registry, Router router) {
    ApiServer api = new ApiServer(config, registry);
    return vertx.createHttpServer(new HttpServerOptions()
            .setHost(config.httpHost())
            .setPort(config.httpPort())
            .setCompressionSupported(true)
            // the deadlines watch HTTP/1.1 pipelines; the API needs nothing of h2c
            .setHttp2ClearTextEnabled(false))
        .connectionHandler(api::connected)
        .invalidRequestHandler(ApiServer::invalidRequest)
        .requestHandler(req -> api.request(req, router))
        .listen();
  }

  private void connected(HttpConnection conn) {
    Channel channel = channel(conn);
    int n = open.incrementAndGet();
    if (n > config.httpMaxConnections() + HEALTH_RESERVE) {
      open.decrementAndGet();
      refused.increment();
      if (channel != null) {
        channel.close();
      } else {
        conn.close();
      }
      return;
    }
    if (channel == null) {
      // not an HTTP/1.x connection of this Vert.x: counted, without deadlines
      conn.closeHandler(v -> open.decrementAndGet());
      return;
    }
    channel.closeFuture().addListener(f -> open.decrementAndGet());
    boolean overCap = n > config.httpMaxConnections();
    ConnectionDeadlines.install(channel,
        overCap ? Math.min(RESERVE_IDLE_MS, config.httpIdleTimeoutMs()) : config.httpIdleTimeoutMs(),
        overCap ? Math.min(RESERVE_IDLE_MS, config.httpHeaderTimeoutMs()) : config.httpHeaderTimeoutMs(),
        config.httpBodyTimeoutMs(), overCap);
  }

  private void request(HttpServerRequest req, Router router) {
    if (ConnectionDeadlines.healthOnly(channel(req.connection())) && !isHealthCheck(req)) {
      new Problem(503, "too-many-connections", "Too many connections",
          "this service has " + config.httpMaxConnections() + " connections open; try again", List.of())
          .retryAfter(1).send(req.response());
      return;
    }
    // the router decodes the path while matching routes and the query when a handler reads it; a bad
    // escape there would surface as a bare 400 or an internal error, so it is refused here, with its field
    String bad = badEscape(req.path()) ? "path" : badEscape(req.query()) ? "query" : null;
    if (bad != null) {
      Problem.invalid(bad, "has a '%' that is not followed by two hex digits").send(req.response());
      return;
    }
    long share = bodyShare(req);
    if (share > 0) {
      if (bodiesInFlight.addAndGet(share) > bodyBudget) {
        bodiesInFlight.addAndGet(-share);
        // refused before a byte of the body is read; the connection goes, with the unread body
        req.response().putHeader("Connection", "close");
        new Problem(503, "busy", "Too many large requests", "request bodies being read already fill "
            + bodyBudget + " bytes; try again", List.of()).retryAfter(1).send(req.response());
        req.connection().close();
        return;
      }
      ConnectionDeadlines.onRequestEnd(channel(req.connection()), () -> bodiesInFlight.addAndGet(-share));
    }
    router.handle(req);
  }

  /**
   * What a request may take of the body budget: its declared length, or the whole limit for a chunked
   * body; 0 without a body. A body over the limit is refused (413) by the router, before it is read.
   */
  private long bodyShare(HttpServerRequest req) {
    String length = req.getHeader("Content-Length");
    if (length != null) {
      try {
        return Math.min(Math.max(0, Long.parseLong(length.trim())), config.httpMaxBodyBytes());
      } catch (NumberFormatException e) {
        return config.httpMaxBodyBytes();
      }
    }
    return req.getHeader("Transfer-Encoding") != null ? config.httpMaxBodyBytes() : 0;
  }

  /** Whether a raw path or query holds a '%' not followed by two hexadecimal digits. */
  static boolean badEscape(String raw) {
    if (raw == null) {
      return false;
    }
    for (int i = raw.indexOf('%'); i >= 0; i = raw.indexOf('%', i + 1)) {
      if (i + 2 >= raw.length() || Character.digit(raw.charAt(i + 1), 16) < 0 || Character.digit(raw.charAt(i + 2), 16) < 0) {
        return true;
      }
    }
    return false;
  }

  private static boolean isHealthCheck(HttpServerRequest req) {
    String path = req.path();
    return path != null && (path.equals("/health/live") || path.equals("/health/ready"));
  }

  /** A request the HTTP decoder could not read: answered as a problem, then the connection is closed. */
  private static void invalidRequest(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    Problem p;
    if (cause instanceof TooLongHttpLineException) {
      p = new Problem(414, "uri-too-long", "Request line too long", "the request line exceeds "
          + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes", List.of());
    } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
      p = new Problem(431, "headers-too-large", "Request headers too large", "the request headers exceed "
          + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes", List.of());
    } else {
      p = new Problem(400, "malformed-request", "Malformed request",
          "the request is not valid HTTP/1.1" + (cause == null ? "" : ": " + cause.getMessage()), List.of());
    }
    req.response().putHeader("Connection", "close");
    p.send(req.response());
    req.connection().close();
  }

  /** The Netty channel of an HTTP/1.x connection (Vert.x exposes it on its connection base class). */
  private static Channel channel(HttpConnection conn) {
    return conn instanceof io.vertx.core.net.impl.ConnectionBase base ? base.channel() : null;
  }
}
