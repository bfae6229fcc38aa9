package dev.fetchd.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A quick yes for values of the contract's plainer schemas. A schema is compiled into a test that passes only values
 * the schema validator accepts too; whatever it does not pass goes to that validator, which decides and words the
 * error, so answers stay the library's word for word. vertx-json-schema validates in one method too large for HotSpot
 * to compile (9,290 bytes of bytecode, over the 8,000-byte limit), so it always runs interpreted: a third of the API
 * loop's time on a {@code POST /jobs}.
 *
 * <p>Understood: {@code type} (one or a list), {@code enum}, {@code properties}, {@code required},
 * {@code additionalProperties} (false or a schema), {@code minProperties}/{@code maxProperties},
 * {@code propertyNames}, {@code items} (one
 * schema), {@code minItems}/{@code maxItems}, {@code minLength}/{@code maxLength}, {@code minimum}/{@code maximum},
 * {@code format: int64} on integers, and annotations. A schema with any other keyword gets no test (null); a property
 * or item under such a schema makes the value undecided (false), so the validator looks at it.
 */
final class SchemaSubset {
  private static final Set<String> ANNOTATIONS = Set.of("description", "title", "default", "example", "examples",
      "deprecated", "readOnly", "writeOnly", "$comment",
      "__absolute_uri__"); // where vertx-json-schema says a schema came from

  private static final Set<String> ASSERTIONS = Set.of("type", "enum", "properties", "required", "additionalProperties",
      "minProperties", "maxProperties", "propertyNames", "items", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
      "format");

  private SchemaSubset() {
  }

  /** The quick test of {@code schema} (with no {@code $ref} left), or null when it says more than this understands. */
  static Predicate<Object> compile(JsonObject schema) {
    for (String key : schema.fieldNames()) {
      if (!ASSERTIONS.contains(key) && !ANNOTATIONS.contains(key) && !key.startsWith("x-")) {
        return null;
      }
    }
    List<Predicate<Object>> all = new ArrayList<>();
    Object type = schema.getValue("type");
    Set<String> types = new HashSet<>();
    if (type instanceof String t) {
      types.add(t);
    } else if (type instanceof JsonArray list) {
      list.forEach(t -> types.add(String.valueOf(t)));
    } else if (type != null) {
      return null;
    }
    if (!types.isEmpty()) {
      all.add(v -> types.contains(typeOf(v)));
    }
    Object format = schema.getValue("format");
    if (format != null && !(format.equals("int64") && types.equals(Set.of("integer")))) {
      return null;
    }
    if (schema.getValue("enum") instanceof JsonArray values) {
      List<Object> allowed = values.getList();
      // only strings, the contract's enums: any other value is left to the validator
      all.add(v -> v instanceof String && allowed.contains(v));
    } else if (schema.containsKey("enum")) {
      return null;
    }
    if (!stringBounds(schema, all) || !numberBounds(schema, all) || !arrayRules(schema, all) || !objectRules(schema, all)) {
      return null;
    }
    return v -> {
      for (Predicate<Object> p : all) {
        if (!p.test(v)) {
          return false;
        }
      }
      return true;
    };
  }

  /** The JSON Schema type of a decoded JSON value; an integer is what Jackson decodes as Integer or Long. */
  private static String typeOf(Object v) {
    if (v instanceof String) {
      return "string";
    }
    if (v instanceof Integer || v instanceof Long) {
      return "integer";
    }
    if (v instanceof Boolean) {
      return "boolean";
    }
    if (v instanceof JsonObject) {
      return "object";
    }
    if (v instanceof JsonArray) {
      return "array";
    }
    return v == null ? "null" : "undecided"; // a double, a big number: the validator's call
  }

  private static boolean stringBounds(JsonObject schema, List<Predicate<Object>> all) {
    Range r = Range.of(schema, "minLength", "maxLength");
    if (r == null || r.none()) {
      return r != null;
    }
    // lengths count code points: a UTF-16 length under the maximum is a code point count under it too, and a code
    // point count is the smaller of the two
    all.add(v -> !(v instanceof String s)
        || (r.min() == null || s.codePointCount(0, s.length()) >= r.min()) && (r.max() == null || s.length() <= r.max()));
    return true;
  }

  private static boolean numberBounds(JsonObject schema, List<Predicate<Object>> all) {
    Range r = Range.of(schema, "minimum", "maximum");
    if (r == null || r.none()) {
      return r != null;
    }
    all.add(v -> !(v instanceof Number) || (v instanceof Integer || v instanceof Long) && r.holds(((Number) v).longValue()));
    return true;
  }

  private static boolean arrayRules(JsonObject schema, List<Predicate<Object>> all) {
    Range size = Range.of(schema, "minItems", "maxItems");
    Predicate<Object> items = subschema(schema.getValue("items"));
    if (size == null || items == null) {
      return false;
    }
    all.add(v -> {
      if (!(v instanceof JsonArray a)) {
        return true;
      }
      if (!size.holds(a.size())) {
        return false;
      }
      for (Object item : a) {
        if (!items.test(item)) {
          return false;
        }
      }
      return true;
    });
    return true;
  }

  private static boolean objectRules(JsonObject schema, List<Predicate<Object>> all) {
    Range size = Range.of(schema, "minProperties", "maxProperties");
    if (size == null) {
      return false;
    }
    Map<String, Predicate<Object>> properties = new HashMap<>();
    if (schema.getValue("properties") instanceof JsonObject props) {
      for (String name : props.fieldNames()) {
        Predicate<Object> p = subschema(props.getValue(name));
        properties.put(name, p != null ? p : v -> false);
      }
    } else if (schema.containsKey("properties")) {
      return false;
    }
    List<String> required = new ArrayList<>();
    if (schema.getValue("required") instanceof JsonArray names) {
      names.forEach(n -> required.add(String.valueOf(n)));
    } else if (schema.containsKey("required")) {
      return false;
    }
    Predicate<Object> names = subschema(schema.getValue("propertyNames"));
    Predicate<Object> others = subschema(schema.getValue("additionalProperties"));
    if (names == null || others == null) {
      return false;
    }
    all.add(v -> {
      if (!(v instanceof JsonObject o)) {
        return true;
      }
      if (!size.holds(o.size())) {
        return false;
      }
      for (String name : required) {
        if (!o.containsKey(name)) {
          return false;
        }
      }
      for (Map.Entry<String, Object> e : o) {
        Predicate<Object> p = properties.getOrDefault(e.getKey(), others);
        if (!names.test(e.getKey()) || !p.test(e.getValue())) {
          return false;
        }
      }
      return true;
    });
    return true;
  }

  /**
   * The test of a keyword's subschema: absent or {@code true} passes everything, {@code false} nothing, nor does a
   * schema this cannot judge (its values go to the validator); null for a value that is no schema at all.
   */
  private static Predicate<Object> subschema(Object value) {
    if (value == null || Boolean.TRUE.equals(value)) {
      return v -> true;
    }
    if (Boolean.FALSE.equals(value)) {
      return v -> false;
    }
    if (value instanceof JsonObject s) {
      Predicate<Object> p = compile(s);
      return p != null ? p : v -> false;
    }
    return null;
  }

  /** A keyword pair of whole-number bounds, either of which may be absent. */
  private record Range(Long min, Long max) {
    /** The bounds {@code minKey} and {@code maxKey} set, or null when one is there but no whole number. */
    static Range of(JsonObject schema, String minKey, String maxKey) {
      Object min = schema.getValue(minKey);
      Object max = schema.getValue(maxKey);
      if (min != null && !whole(min) || max != null && !whole(max)) {
        return null;
      }
      return new Range(min == null ? null : ((Number) min).longValue(), max == null ? null : ((Number) max).longValue());
    }

    private static boolean whole(Object v) {
      return v instanceof Integer || v instanceof Long;
    }

    boolean none() {
      return min == null && max == null;
    }

    boolean holds(long n) {
      return (min == null || n >= min) && (max == null || n <= max);
    }
  }
}
