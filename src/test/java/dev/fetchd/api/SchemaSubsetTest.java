package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.MediaType;
import io.vertx.openapi.contract.OpenAPIContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The quick test of the submission body (the contract's own schema) passes only bodies the schema validator accepts,
 * over every body made from realistic ones by dropping a field, adding one, or putting another value at any place;
 * and it does pass the usual bodies, or it would save nothing.
 */
class SchemaSubsetTest {
  private static Vertx vertx;
  private static Validator full;
  private static Predicate<Object> quick;

  /** Values put at every place of a body: wrong types, bounds and their neighbours, odd strings. */
  private static final List<Object> VALUES = List.of("", "a", "download", "crawl", "x".repeat(8193), "x".repeat(8192),
      "\uD83D\uDE00", -1001, -1000, -1, 0, 1, 1000, 1001, 100_000, 100_001, 5_000_000_000L, Long.MAX_VALUE, 1.5, 2.0,
      true, false, new JsonObject(), new JsonArray(), new JsonArray().add("http://a.example/"),
      new JsonObject().put("k", "v"));

  @BeforeAll
  static void load() throws Exception {
    vertx = Vertx.vertx();
    OpenAPIContract contract = OpenAPIContract.from(vertx, ApiRouter.toJson(Files.readString(Path.of("openapi.yaml"))))
        .await(30, TimeUnit.SECONDS);
    MediaType json = contract.operation("submitJob").getRequestBody().getContent().get("application/json");
    SchemaRepository schemas = contract.getSchemaRepository();
    full = schemas.validator(json.getSchema());
    quick = ContractValidator.quickTest(schemas, json.getSchema());
  }

  @AfterAll
  static void close() {
    vertx.close();
  }

  private static List<JsonObject> usualBodies() {
    JsonArray urls = new JsonArray().add("https://example.com/a").add("https://example.com/b");
    return List.of(
        new JsonObject().put("type", "download").put("urls", urls),
        new JsonObject().put("type", "download").put("urls", urls).put("priority", 5)
            .put("labels", new JsonObject().put("team", "search")),
        new JsonObject().put("type", "crawl").put("urls", new JsonArray().add("https://example.com/"))
            .put("crawl", new JsonObject().put("maxDepth", 2).put("maxPages", 100)),
        new JsonObject().put("type", "download").put("urls", urls)
            .put("limits", new JsonObject().put("concurrency", 8).put("retries", 1).put("maxBytes", 1_000_000)),
        new JsonObject().put("type", "download").put("urls", urls)
            .put("request", new JsonObject().put("headers", new JsonObject().put("Accept-Language", "de"))),
        new JsonObject().put("type", "download").put("urls", urls).put("since", "8a050f87-8677-4674-bfef-5a515faf1603"));
  }

  @Test
  void theUsualBodiesPassQuickly() {
    assertThat(quick).as("the submission schema has a quick test").isNotNull();
    List<JsonObject> bodies = usualBodies();
    for (JsonObject body : bodies) {
      assertThat(full.validate(body).getValid()).as("the contract accepts " + body.encode()).isTrue();
    }
    for (JsonObject body : bodies) {
      assertThat(quick.test(body)).as("passes quickly: " + body.encode()).isTrue();
    }
  }

  @Test
  void theQuickTestNeverPassesWhatTheSchemaRefuses() {
    int passed = 0;
    int variants = 0;
    for (JsonObject body : usualBodies()) {
      for (Object variant : variants(body)) {
        variants++;
        if (quick.test(variant)) {
          passed++;
          assertThat(full.validate(variant).getValid()).as("quickly passed, refused by the schema: "
              + (variant instanceof JsonObject o ? o.encode() : variant)).isTrue();
        }
      }
    }
    assertThat(passed).as("of %d variants", variants).isPositive();
  }

  /** Every value made from {@code v} by one change at one place. */
  private static List<Object> variants(Object v) {
    List<Object> out = new ArrayList<>(VALUES);
    if (v instanceof JsonObject o) {
      for (String key : o.fieldNames()) {
        JsonObject without = o.copy();
        without.remove(key);
        out.add(without);
        for (Object changed : variants(o.getValue(key))) {
          out.add(o.copy().put(key, changed));
        }
      }
      out.add(o.copy().put("unknownField", 1));
      out.add(o.copy().put("X-Custom", "v"));
    } else if (v instanceof JsonArray a) {
      for (int i = 0; i < a.size(); i++) {
        for (Object changed : variants(a.getValue(i))) {
          JsonArray copy = a.copy();
          copy.set(i, changed);
          out.add(copy);
        }
      }
      out.add(new JsonArray());
      out.add(a.copy().add(a.isEmpty() ? "x" : a.getValue(0)));
    }
    return out;
  }
}
