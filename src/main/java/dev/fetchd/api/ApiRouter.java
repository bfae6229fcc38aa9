package dev.fetchd.api;

import dev.fetchd.config.FetchdConfig;
import dev.fetchd.engine.JobEngine;
import dev.fetchd.files.FileStore;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import dev.fetchd.metrics.FetchdMetrics;
import io.micrometer.core.instrument.Counter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.validation.ValidatorException;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the HTTP router from {@code openapi.yaml}: every operation of the contract gets its handler here,
 * requests are validated against the contract before a handler runs ({@link ContractValidator}), and every failure is answered as
 * {@code application/problem+json}.
 */
public final class ApiRouter {
  private static final Logger log = LoggerFactory.getLogger(ApiRouter.class);
  /** The contract, packaged in the jar (copied from the repository root at build time). */
  public static final String CONTRACT = "openapi.yaml";

  private ApiRouter() {
  }

  public static Future<Router> create(Vertx vertx, FetchdConfig config, JobEngine engine, FileStore files,
                                      PrometheusMeterRegistry registry, BooleanSupplier ready) {
    // read, and converted to JSON for /openapi.json, once, on a worker
    return vertx.executeBlocking(() -> {
      String text = readContract();
      return new Texts(text, published(text).encodePrettily());
    }, false).compose(texts -> {
      String yaml = texts.yaml();
      String json = texts.json();
      return OpenAPIContract.from(vertx, toJson(yaml)).map(contract -> {
          RequestExtractor extractor = RequestExtractor.withBodyHandler();
          RouterBuilder builder = RouterBuilder.create(vertx, contract, extractor);
          // counted first, so that what the handlers below refuse (401, 413) is counted too
          builder.rootHandler(new ApiMetrics(registry));
          // Vert.x Web wants the body handler before any other; the size limit bounds what an
          // unauthenticated caller can make the service read
          builder.rootHandler(BodyHandler.create(false).setBodyLimit(config.httpMaxBodyBytes()));
          builder.rootHandler(new TokenAuth(config.apiTokens(), config.adminTokens(), config.metricsPublic()));
          // the contract's validation, on the event loop with validators built once (before every operation's handler)
          ContractValidator.installOn(builder.getRoutes(), contract.getSchemaRepository(), extractor);
          new JobRoutes(engine, files, new JobSpecParser(config), new WarcExport(vertx, engine, files),
              config.jobsRetentionMs()).mount(builder);
          builder.getRoute("getMetrics").addHandler(new MetricsHandler(registry, engine));
          builder.getRoute("getLive").addHandler(ctx -> JobRoutes.json(ctx, 200, new JsonObject().put("status", "UP")));
          builder.getRoute("getReady").addHandler(ctx -> {
            if (ready.getAsBoolean()) {
              JobRoutes.json(ctx, 200, new JsonObject().put("status", "UP"));
            } else {
              JobRoutes.json(ctx, 503, new JsonObject().put("status", "DOWN").put("reason", "shutting down"));
            }
          });
          builder.getRoute("getOpenApi").addHandler(ctx -> ctx.response()
              .putHeader("Content-Type", "application/yaml").end(yaml));
          builder.getRoute("getOpenApiJson").addHandler(ctx -> ctx.response()
              .putHeader("Content-Type", "application/json").end(json));
          Router router = builder.createRouter();
          DashboardRoutes.mount(router);
          Counter invalid = FetchdMetrics.rejectedCounter(registry, "invalid");
          router.route().failureHandler(ctx -> failure(ctx, invalid));
          // what the failure handler does not catch (a failure while matching routes) still ends as a problem
          for (int status = 400; status < 600; status++) {
            int code = status;
            router.errorHandler(code, ctx -> unhandled(ctx, code));
          }
          router.errorHandler(404, ctx -> Problem.notFound("no such resource: " + shortPath(ctx)).send(ctx));
          router.errorHandler(405, ctx -> new Problem(405, "method-not-allowed", "Method not allowed",
              ctx.request().method() + " is not allowed on " + shortPath(ctx), List.of()).send(ctx));
          return router;
        });
    });
  }

  /** The contract as served: YAML as written, and the same as JSON. */
  private record Texts(String yaml, String json) {
  }

  /** Reads and parses the contract from the classpath on a worker thread: a read from the jar, then YAML. */
  private static String readContract() throws java.io.IOException {
    try (java.io.InputStream in = ApiRouter.class.getClassLoader().getResourceAsStream(CONTRACT)) {
      if (in == null) {
        throw new java.io.FileNotFoundException(CONTRACT + " is not on the classpath");
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** The contract as published, in JSON: exactly the YAML's content. */
  @SuppressWarnings("unchecked")
  static JsonObject published(String yaml) {
    Object doc = new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(
        new org.yaml.snakeyaml.LoaderOptions())).load(yaml);
    return new JsonObject((java.util.Map<String, Object>) doc);
  }

  /** The contract as handed to the router builder. */
  static JsonObject toJson(String yaml) {
    JsonObject contract = published(yaml);
    routableMediaTypes(contract);
    // bearer tokens are checked by TokenAuth (optional, by configuration); the router builder would
    // otherwise insist on a security handler of its own for the declared requirement
    contract.remove("security");
    return contract;
  }

  /**
   * The Vert.x 5.0.7 contract loader refuses response media types outside a short list (problem+json,
   * event streams, YAML among them). The published contract says what is really sent; the copy handed to
   * the router swaps those for an accepted type with the same role. Responses are not validated, so
   * nothing else changes.
   */
  private static void routableMediaTypes(Object node) {
    if (node instanceof JsonObject obj) {
      Object content = obj.getValue("content");
      if (content instanceof JsonObject types) {
        for (String type : List.copyOf(types.fieldNames())) {
          String routable = switch (type) {
            case "application/problem+json" -> "application/json";
            case "text/event-stream", "application/yaml", "application/openmetrics-text" -> "text/plain";
            case "application/warc" -> "application/octet-stream";
            default -> null;
          };
          if (routable != null && !types.containsKey(routable)) {
            types.put(routable, types.remove(type));
          } else if (routable != null) {
            types.remove(type);
          }
        }
      }
      obj.forEach(e -> routableMediaTypes(e.getValue()));
    } else if (node instanceof io.vertx.core.json.JsonArray arr) {
      arr.forEach(ApiRouter::routableMediaTypes);
    }
  }

  private static void failure(RoutingContext ctx, Counter invalid) {
    Problem p = problemOf(ctx);
    if ((p.status() == 400 || p.status() == 413) && isSubmission(ctx)) {
      invalid.increment();
    }
    p.send(ctx);
  }

  private static boolean isSubmission(RoutingContext ctx) {
    return ctx.request().method() == HttpMethod.POST && "/jobs".equals(ctx.request().path());
  }

  private static void unhandled(RoutingContext ctx, int status) {
    if (status >= 500) {
      log.error("unhandled failure on {} {}", ctx.request().method(), shortPath(ctx), ctx.failure());
    }
    String title = HttpResponseStatus.valueOf(status).reasonPhrase();
    String detail = status >= 500 ? "the service failed to handle the request"
        : ctx.failure() != null && ctx.failure().getMessage() != null ? ctx.failure().getMessage() : title;
    new Problem(status, status >= 500 ? "internal" : "http-" + status, title, detail, List.of()).send(ctx);
  }

  /** The raw path for a message, cut short: it is whatever the client sent. */
  private static String shortPath(RoutingContext ctx) {
    String path = ctx.request().path();
    return path == null ? "" : path.length() > 200 ? path.substring(0, 200) + "..." : path;
  }

  static Problem problemOf(RoutingContext ctx) {
    Throwable err = ctx.failure();
    if (err instanceof Problem p) {
      return p;
    }
    if (err instanceof HttpException he) {
      if (he.getCause() instanceof ValidatorException ve) {
        return Problem.invalid(ValidationErrors.of(ve));
      }
      if (he.getStatusCode() == 413) {
        return new Problem(413, "body-too-large", "Request body too large",
            "the body exceeds the limit of this service", List.of());
      }
      return new Problem(he.getStatusCode(), "http-" + he.getStatusCode(), "HTTP " + he.getStatusCode(),
          he.getPayload() != null ? he.getPayload() : String.valueOf(he.getMessage()), List.of());
    }
    if (err instanceof ValidatorException ve) {
      return Problem.invalid(ValidationErrors.of(ve));
    }
    int status = ctx.statusCode();
    if (err == null && status >= 400) {
      return new Problem(status, "http-" + status, "HTTP " + status, "request failed", List.of());
    }
    log.error("unhandled failure on {} {}", ctx.request().method(), ctx.request().path(), err);
    return new Problem(500, "internal", "Internal error", "the service failed to handle the request", List.of());
  }


}
