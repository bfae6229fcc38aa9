package dev.fetchd.api;

import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the contract validator's output into the fields at fault. The validator reports a flat list of
 * units, many of them wrappers ("a subschema had errors") or echoes (every invalid known property also
 * fails additionalProperties); only the assertion that failed names the real problem.
 */
final class ValidationErrors {
  private static final Set<String> ASSERTIONS = Set.of("type", "enum", "const", "minimum", "maximum",
      "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
      "uniqueItems", "maxProperties", "minProperties", "required", "format");
  private static final Pattern REQUIRED = Pattern.compile("required property \"([^\"]+)\"");
  private static final Pattern PARAMETER = Pattern.compile("(?:query|path|header|cookie) parameter (\\S+)");

  private ValidationErrors() {
  }

  static List<Problem.FieldError> of(ValidatorException ve) {
    String message = ve.getMessage() == null ? "invalid request" : ve.getMessage();
    Matcher param = PARAMETER.matcher(message);
    List<OutputUnit> units = new ArrayList<>();
    if (ve instanceof SchemaValidationException sve && sve.getOutputUnit() != null) {
      flatten(sve.getOutputUnit(), units);
    }
    if (param.find()) {
      // parameter units all sit at "#": the parameter's name is only in the message
      String reason = units.stream().filter(u -> ASSERTIONS.contains(keyword(u))).map(ValidationErrors::text)
          .findFirst().orElse(message);
      return List.of(new Problem.FieldError(param.group(1), reason));
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (OutputUnit u : units) {
      String kw = keyword(u);
      if (!ASSERTIONS.contains(kw)) {
        continue;
      }
      String loc = location(u);
      if (kw.equals("required")) {
        Matcher m = REQUIRED.matcher(String.valueOf(u.getError()));
        loc = (loc.equals("/") ? "" : loc) + "/" + (m.find() ? m.group(1) : "?");
      }
      fields.putIfAbsent(loc, text(u));
    }
    for (OutputUnit u : units) {
      if (keyword(u).equals("additionalProperties")) {
        String loc = location(u);
        // an echo of a known property that failed elsewhere, unless nothing else was said about it
        boolean explained = fields.keySet().stream().anyMatch(f -> f.equals(loc) || f.startsWith(loc + "/"));
        if (!explained) {
          fields.putIfAbsent(loc, "unknown field");
        }
      }
    }
    List<Problem.FieldError> out = new ArrayList<>();
    fields.forEach((f, m) -> out.add(new Problem.FieldError(f, m)));
    if (out.isEmpty()) {
      out.add(new Problem.FieldError("/", bodyMessage(ve, message)));
    }
    return out.size() > 50 ? out.subList(0, 50) : out;
  }

  private static String bodyMessage(ValidatorException ve, String message) {
    return switch (ve.type()) {
      case ILLEGAL_VALUE -> "the body is not valid JSON";
      case UNSUPPORTED_VALUE_FORMAT -> "the body must be application/json";
      case MISSING_REQUIRED_PARAMETER -> "a JSON body is required";
      default -> message;
    };
  }

  private static void flatten(OutputUnit unit, List<OutputUnit> out) {
    if (unit.getErrors() != null && !unit.getErrors().isEmpty()) {
      unit.getErrors().forEach(u -> flatten(u, out));
    } else if (unit.getError() != null) {
      out.add(unit);
    }
  }

  private static String keyword(OutputUnit u) {
    String k = u.getKeywordLocation();
    return k == null ? "" : k.substring(k.lastIndexOf('/') + 1);
  }

  private static String location(OutputUnit u) {
    String loc = u.getInstanceLocation();
    if (loc == null || loc.isEmpty() || loc.equals("#")) {
      return "/";
    }
    return loc.startsWith("#") ? loc.substring(1) : loc;
  }

  private static String text(OutputUnit u) {
    return switch (keyword(u)) {
      case "required" -> "is required";
      case "minItems" -> "has too few items";
      case "maxItems" -> "has too many items";
      case "uniqueItems" -> "has an item twice";
      case "maxProperties" -> "has too many entries";
      case "minProperties" -> "has too few entries";
      default -> String.valueOf(u.getError());
    };
  }
}
