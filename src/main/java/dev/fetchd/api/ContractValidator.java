package dev.fetchd.api;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.RequestBody;
import io.vertx.openapi.contract.Style;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidationContext;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.analyser.ContentAnalyser;
import io.vertx.openapi.validation.transformer.FormTransformer;
import io.vertx.openapi.validation.transformer.LabelTransformer;
import io.vertx.openapi.validation.transformer.MatrixTransformer;
import io.vertx.openapi.validation.transformer.ParameterTransformer;
import io.vertx.openapi.validation.transformer.SimpleTransformer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Validates a request against its operation of the contract, as vertx-openapi's request validator does, but
 * on the calling thread with the schema validators built once at start. vertx-openapi 5.0.7 hops to a worker
 * for every request and builds a schema validator per parameter per request there, which capped the API at
 * a fraction of what Vert.x serves. The same library pieces do the work (request extraction, parameter
 * transformers, content analysers, the contract's own schemas and exceptions), so a bad request gets exactly
 * the answer it got before. A body over {@link #INLINE_BODY_BYTES} is decoded and validated on a worker.
 *
 * <p>The decoded, valid body is left in the context under {@link #BODY} for the handler, which so does not
 * decode it a second time.
 */
final class ContractValidator implements Handler<RoutingContext> {
  /** Bodies up to this size are decoded and validated on the event loop (well under a millisecond). */
  static final int INLINE_BODY_BYTES = 64 * 1024;
  /** Context key of the decoded body (a JsonObject, JsonArray or scalar) once it passed the contract. */
  static final String BODY = "fetchd.validatedBody";

  private static final Map<Style, ParameterTransformer> TRANSFORMERS = new EnumMap<>(Style.class);

  static {
    TRANSFORMERS.put(Style.SIMPLE, new SimpleTransformer());
    TRANSFORMERS.put(Style.LABEL, new LabelTransformer());
    TRANSFORMERS.put(Style.MATRIX, new MatrixTransformer());
    TRANSFORMERS.put(Style.FORM, new FormTransformer());
  }

  /** Raw values remembered as valid per parameter, at most this many (then forgotten all at once). */
  static final int REMEMBERED_VALID = 1024;
  /** Longer raw values are not remembered (bounds the memory to about 1024 x 128 chars per parameter). */
  static final int REMEMBERED_LENGTH = 128;

  /**
   * One parameter and how to check it. {@code valid} remembers raw values that passed: the library's
   * transform and check are a pure function of the raw text, and its string transform is costly (two
   * regex compiles and a JSON parse that throws for a value such as a UUID), while clients poll the same
   * ids over and over.
   */
  private record Param(Parameter parameter, ParameterTransformer transformer, Validator validator,
                       Predicate<Object> surelyValid, Map<String, Boolean> valid) {
  }

  private final Operation operation;
  private final RequestExtractor extractor;
  private final List<Param> params = new ArrayList<>();
  private final RequestBody body;
  private final Map<MediaType, Validator> bodyValidators = new HashMap<>();
  private final Map<MediaType, Predicate<Object>> bodyQuickTests = new HashMap<>();

  ContractValidator(Operation operation, SchemaRepository schemas, RequestExtractor extractor) {
    this.operation = operation;
    this.extractor = extractor;
    for (Parameter p : operation.getParameters()) {
      params.add(new Param(p, TRANSFORMERS.get(p.getStyle()), schemas.validator(p.getSchema()),
          surelyValid(p.getSchema()), new ConcurrentHashMap<>()));
    }
    this.body = operation.getRequestBody();
    if (body != null) {
      body.getContent().values().stream().filter(m -> m.getSchema() != null).forEach(m -> {
        bodyValidators.put(m, schemas.validator(m.getSchema()));
        Predicate<Object> quick = quickTest(schemas, m.getSchema());
        if (quick != null) {
          bodyQuickTests.put(m, quick);
        }
      });
    }
  }

  /** Puts a validator built from the contract in front of every operation and turns the library's off. */
  static void installOn(List<OpenAPIRoute> routes, SchemaRepository schemas, RequestExtractor extractor) {
    for (OpenAPIRoute route : routes) {
      route.setDoValidation(false);
      route.addHandler(new ContractValidator(route.getOperation(), schemas, extractor));
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    ctx.put(ApiMetrics.OPERATION, operation.getOperationId());
    extractor.extractValidatableRequest(ctx, operation).onComplete(extracted -> {
      if (extracted.failed()) {
        fail(ctx, extracted.cause());
        return;
      }
      ValidatableRequest request = extracted.result();
      Object decoded;
      try {
        validateParameters(request);
        if (body != null && ctx.body().length() > INLINE_BODY_BYTES) {
          ctx.vertx().executeBlocking(() -> validateBody(request), false).onComplete(done -> {
            if (done.succeeded()) {
              proceed(ctx, done.result());
            } else {
              fail(ctx, done.cause());
            }
          });
          return;
        }
        decoded = validateBody(request);
      } catch (RuntimeException e) {
        fail(ctx, e);
        return;
      }
      proceed(ctx, decoded);
    });
  }

  private static void proceed(RoutingContext ctx, Object decoded) {
    if (decoded != null) {
      ctx.put(BODY, decoded);
    }
    ctx.next();
  }

  /** As the router builder fails a request its validator refused. */
  private static void fail(RoutingContext ctx, Throwable err) {
    ctx.fail(err instanceof ValidatorException ? new HttpException(400, err.getMessage(), err) : err);
  }

  private void validateParameters(ValidatableRequest request) {
    for (Param p : params) {
      Parameter parameter = p.parameter();
      RequestParameter value = switch (parameter.getIn()) {
        case COOKIE -> request.getCookies().get(parameter.getName());
        case HEADER -> request.getHeaders().get(parameter.getName());
        case PATH -> request.getPathParameters().get(parameter.getName());
        case QUERY -> request.getQuery().get(parameter.getName());
      };
      if (value == null || value.isNull()) {
        if (parameter.isRequired()) {
          throw ValidatorException.createMissingRequiredParameter(parameter);
        }
        continue;
      }
      if (p.transformer() == null) {
        throw ValidatorException.createUnsupportedValueFormat(parameter);
      }
      String raw = String.valueOf(value.get());
      if (p.valid().containsKey(raw)) {
        continue;
      }
      // a header declared as a string is that text: the library's transform would decode a value that
      // starts with a quote as JSON and refuse an entity-tag list ("a", "b") that If-None-Match may carry
      Object transformed = parameter.getIn() == io.vertx.openapi.contract.Location.HEADER
          && p.parameter().getSchema() != null && "string".equals(p.parameter().getSchema().get("type"))
          ? raw : p.transformer().transform(parameter, raw);
      if (p.surelyValid() == null || !p.surelyValid().test(transformed)) {
        OutputUnit result = p.validator().validate(transformed);
        try {
          result.checkValidity();
        } catch (JsonSchemaValidationException e) {
          // always named after the parameter: the library words a "missing value" (an empty list, ?jobs=) as
          // about the request body, and the field at fault would read "/"
          throw SchemaValidationException.createInvalidValueParameter(parameter, result, e);
        }
      }
      if (raw.length() <= REMEMBERED_LENGTH) {
        if (p.valid().size() >= REMEMBERED_VALID) {
          p.valid().clear();
        }
        p.valid().put(raw, Boolean.TRUE);
      }
    }
  }

  /**
   * A quick test, from the parameter's own schema, that passes only values the schema validator accepts (see
   * {@link SchemaSubset}); anything it does not pass goes to the schema validator, which also words the error. Null
   * when the schema says more than that understands (a {@code $ref}, a pattern...).
   */
  static Predicate<Object> surelyValid(JsonSchema schema) {
    return schema == null ? null : SchemaSubset.compile(json(schema));
  }

  /** A body schema's quick test, its references resolved first; null when it has none. */
  static Predicate<Object> quickTest(SchemaRepository schemas, JsonSchema schema) {
    try {
      return SchemaSubset.compile(schemas.resolve(json(schema)));
    } catch (RuntimeException e) {
      return null; // a reference the repository cannot resolve: the validator alone decides
    }
  }

  /** The schema's own JSON (its nested schemas are JSON already). */
  static JsonObject json(JsonSchema schema) {
    JsonObject json = new JsonObject();
    for (String key : schema.fieldNames()) {
      json.put(key, schema.get(key));
    }
    return json;
  }

  /** The decoded body once valid, null when the operation takes none and none came. */
  private Object validateBody(ValidatableRequest request) {
    if (body == null) {
      return null;
    }
    if (request.getBody() == null || request.getBody().isEmpty()) {
      if (body.isRequired()) {
        throw new ValidatorException("The related request does not contain the required body.",
            ValidatorErrorType.MISSING_REQUIRED_PARAMETER);
      }
      return null;
    }
    String contentType = request.getContentType();
    MediaType mediaType = body.determineContentType(contentType);
    Buffer content = request.getBody().getBuffer(Buffer.buffer());
    ContentAnalyser analyser = mediaType == null ? null
        : ContentAnalyser.getContentAnalyser(mediaType, contentType, content, ValidationContext.REQUEST);
    if (analyser == null) {
      throw new ValidatorException("The format of the request body is not supported: " + contentType,
          ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT);
    }
    analyser.checkSyntacticalCorrectness();
    Object decoded = analyser.transform();
    Validator validator = bodyValidators.get(mediaType);
    Predicate<Object> quick = bodyQuickTests.get(mediaType);
    if (validator != null && (quick == null || !quick.test(decoded))) {
      OutputUnit result = validator.validate(decoded);
      try {
        result.checkValidity();
      } catch (JsonSchemaValidationException e) {
        throw SchemaValidationException.createInvalidValueBody(result, ValidationContext.REQUEST, e);
      }
    }
    return decoded;
  }
}
