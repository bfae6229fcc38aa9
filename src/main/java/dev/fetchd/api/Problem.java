package dev.fetchd.api;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/** An RFC 9457 problem answer: {@code application/problem+json} with the fields at fault, if any. */
public final class Problem extends RuntimeException {
  private static final String TYPE_BASE = "https://fetchd.dev/problems/";

  private final int status;
  private final String type;
  private final String title;
  private final List<FieldError> errors;
  private Long retryAfterSeconds;

  public record FieldError(String field, String message) {
  }

  public Problem(int status, String type, String title, String detail, List<FieldError> errors) {
    super(detail, null, false, false);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = List.copyOf(errors);
  }

  public static Problem invalid(List<FieldError> errors) {
    String detail = errors.size() == 1 ? errors.get(0).field() + ": " + errors.get(0).message()
        : errors.size() + " fields are invalid";
    return new Problem(400, "invalid-request", "The request is invalid", detail, errors);
  }

  public static Problem invalid(String field, String message) {
    return invalid(List.of(new FieldError(field, message)));
  }

  public static Problem notFound(String detail) {
    return new Problem(404, "not-found", "Not found", detail, List.of());
  }

  public Problem retryAfter(long seconds) {
    this.retryAfterSeconds = seconds;
    return this;
  }

  public int status() {
    return status;
  }

  public List<FieldError> errors() {
    return errors;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("type", TYPE_BASE + type)
        .put("title", title)
        .put("status", status)
        .put("detail", getMessage());
    if (!errors.isEmpty()) {
      JsonArray arr = new JsonArray();
      errors.forEach(e -> arr.add(new JsonObject().put("field", e.field()).put("message", e.message())));
      json.put("errors", arr);
    }
    return json;
  }

  public void send(RoutingContext ctx) {
    send(ctx.response());
  }

  /** Answers on a bare response: for refusals before the router (connection limits, unparsable requests). */
  public void send(HttpServerResponse response) {
    if (response.headWritten()) {
      response.reset();
      return;
    }
    if (retryAfterSeconds != null) {
      response.putHeader("Retry-After", Long.toString(retryAfterSeconds));
    }
    response
        .setStatusCode(status)
        .putHeader("Content-Type", "application/problem+json")
        .end(toJson().encode());
  }

  /** Collects field errors while checking a body, then throws them all at once. */
  static final class Collector {
    private final List<FieldError> errors = new ArrayList<>();

    void add(String field, String message) {
      if (errors.size() < 50) {
        errors.add(new FieldError(field, message));
      }
    }

    int size() {
      return errors.size();
    }

    void throwIfAny() {
      if (!errors.isEmpty()) {
        throw invalid(errors);
      }
    }
  }
}
