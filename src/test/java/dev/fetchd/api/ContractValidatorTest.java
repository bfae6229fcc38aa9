package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.Validator;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** The quick parameter test passes only what the schema validator accepts, and passes the usual values. */
class ContractValidatorTest {
  private static final List<Object> VALUES = List.of("", "a", "a".repeat(64), "a".repeat(65), "\uD83D\uDE00".repeat(40),
      "\uD83D\uDE00".repeat(64), "\uD83D\uDE00".repeat(65), -1, 0, 1, 60, 61, 1000, 1001, 5_000_000_000L, 1.5, "5",
      true);

  @Test
  void theQuickTestNeverPassesWhatTheSchemaRefuses() {
    for (JsonObject raw : List.of(
        new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 64),
        new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 200),
        new JsonObject().put("type", "integer").put("minimum", 0).put("maximum", 60).put("default", 0),
        new JsonObject().put("type", "integer").put("minimum", 1).put("maximum", 1000).put("default", 100))) {
      JsonSchema schema = JsonSchema.of(raw);
      Validator full = Validator.create(schema, new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
          .setBaseUri("https://fetchd.dev/"));
      Predicate<Object> quick = ContractValidator.surelyValid(schema);
      assertThat(quick).as(raw.encode()).isNotNull();
      for (Object v : VALUES) {
        if (quick.test(v)) {
          assertThat(full.validate(v).getValid()).as(raw.encode() + " " + v).isTrue();
        }
      }
    }
    JsonSchema id = JsonSchema.of(new JsonObject().put("type", "string").put("minLength", 1).put("maxLength", 64));
    assertThat(ContractValidator.surelyValid(id).test("8a050f87-8677-4674-bfef-5a515faf1603")).isTrue();
    JsonSchema wait = JsonSchema.of(new JsonObject().put("type", "integer").put("minimum", 0).put("maximum", 60));
    assertThat(ContractValidator.surelyValid(wait).test(30)).isTrue();
  }

  @Test
  void aSchemaWithMoreThanBoundsHasNoQuickTest() {
    assertThat(ContractValidator.surelyValid(JsonSchema.of(new JsonObject().put("$ref", "#/components/schemas/JobState"))))
        .isNull();
    assertThat(ContractValidator.surelyValid(JsonSchema.of(new JsonObject().put("type", "string").put("pattern", "^a"))))
        .isNull();
    assertThat(ContractValidator.surelyValid(JsonSchema.of(new JsonObject().put("type", "integer")
        .put("exclusiveMinimum", 0)))).isNull();
  }
}
