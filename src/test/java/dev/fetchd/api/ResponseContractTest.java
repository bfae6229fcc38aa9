package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import dev.fetchd.testkit.WebhookReceiver;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What fetchd really answers, checked against the response side of {@code openapi.yaml}: the router validates
 * requests against the contract, nothing validates responses, so a field added to (or dropped from) an answer
 * without the contract would go unnoticed. One real fetchd runs a download with a 404 item and a webhook, a job
 * that times out, a crawl with sitemaps, robots.txt and assets, and a recrawl of it ({@code since}); then every
 * JSON answer of the operations below, each webhook body and every event of both event streams is validated
 * (JSON Schema 2020-12, {@code io.vertx.json.schema}, the contract's {@code $ref}s resolved within it) against the
 * schema the contract declares for that operation, status and content type, or for that event name.
 *
 * <p>Beyond the schemas, which let objects carry properties they do not name unless they say
 * {@code additionalProperties: false}, any property fetchd sends that the contract does not declare fails the
 * test: the contract must document every field. Properties the contract declares that no answer carried are
 * listed, and fail unless {@link #NEVER_SEEN_HERE} explains why this scenario cannot show them.
 */
class ResponseContractTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  /** The URI the contract is registered under in the schema repository; nothing is fetched from it. */
  static final String BASE = "https://fetchd.dev/openapi.yaml";

  /**
   * Declared properties this scenario does not see, and why. Anything else declared must turn up in some answer.
   */
  static final Map<String, String> NEVER_SEEN_HERE = Map.of(
      "Problem.instance", "declared by the contract, never sent by fetchd (Problem.toJson has no instance)",
      "Health.reason", "only in the 503 of /health/ready while shutting down");

  private final Contract contract = new Contract(Path.of("openapi.yaml"));
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void everyAnswerEventAndWebhookBodyMatchesTheContract() throws Exception {
    long started = System.nanoTime();
    Gate gate = new Gate();
    try (TargetServer target = TargetServer.start();
         WebhookReceiver hooks = WebhookReceiver.start();
         WebhookReceiver timeoutHooks = WebhookReceiver.start();
         RunningService fetchd = RunningService.start(Map.of("webhooks.retryBaseMs", 20))) {
      site(target);
      target.route("/g/ok-1", gate.answer(200, "first\n"));
      target.route("/g/ok-2", gate.answer(200, "second\n"));
      target.route("/g/missing", gate.answer(404, "no such file\n"));

      // ---- the jobs -----------------------------------------------------------------------------------------
      JsonObject crawlSpec = new JsonObject().put("maxDepth", 1).put("sitemaps", true).put("assets", true);
      JsonObject crawlBody = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(target.url("/site/home")))
          .put("crawl", crawlSpec).put("limits", new JsonObject().put("retries", 0));
      String crawl = submitted(fetchd, crawlBody).getString("id");

      JsonObject timedOutBody = new JsonObject().put("type", "download").put("urls", new JsonArray().add(target.url("/stall")))
          .put("limits", new JsonObject().put("timeoutMs", 1000).put("retries", 0))
          .put("webhook", new JsonObject().put("url", timeoutHooks.url("/hook")));
      JsonObject timedOutJob = submitted(fetchd, timedOutBody);
      String timedOut = timedOutJob.getString("id");
      timeoutHooks.secret(timedOutJob.getJsonObject("spec").getJsonObject("webhook").getString("secret"));

      JsonObject downloadBody = new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/g/ok-1")).add(target.url("/g/missing")).add(target.url("/g/ok-2")))
          .put("limits", new JsonObject().put("retries", 0).put("concurrency", 3))
          .put("priority", 5).put("labels", new JsonObject().put("team", "contract"))
          .put("request", new JsonObject()
              .put("headers", new JsonObject().put("Accept-Language", "fr").put("X-Api-Key", "k-123"))
              .put("secretHeaders", new JsonArray().add("X-Api-Key"))
              .put("cookies", new JsonArray().add(new JsonObject().put("name", "session").put("value", "abc"))))
          .put("webhook", new JsonObject().put("url", hooks.url("/hook"))
              .put("events", new JsonArray().add("job.completed").add("item.failed")));
      JsonObject downloadJob = submitted(fetchd, downloadBody, "Idempotency-Key", "contract-download");
      String download = downloadJob.getString("id");
      hooks.secret(downloadJob.getJsonObject("spec").getJsonObject("webhook").getString("secret"));

      // both event streams open while the download is held at the target, so they carry its item and progress
      // events as well as the states; then the target answers and the streams run to their ends
      RunningService.await("the download's three requests held at the target", WAIT, () -> gate.held() == 3);
      EventStream one = EventStream.open(http, fetchd.baseUrl() + "/jobs/" + download + "/events");
      EventStream many = EventStream.open(http, fetchd.baseUrl() + "/events?jobs=" + download + "," + crawl + ","
          + timedOut + ",no-such-job");
      gate.open();
      List<SseEvent> oneEvents = one.toEnd(WAIT);
      List<SseEvent> manyEvents = many.toEnd(WAIT);

      assertThat(fetchd.awaitTerminal(download, WAIT).getString("state")).isEqualTo("completed");
      assertThat(fetchd.awaitTerminal(crawl, WAIT).getString("state")).isEqualTo("completed");
      assertThat(fetchd.awaitTerminal(timedOut, WAIT).getString("state")).isEqualTo("timed_out");

      // a recrawl of the crawl: the target answers 304 to what it sent before
      JsonObject recrawlBody = crawlBody.copy().put("since", crawl);
      String recrawl = submitted(fetchd, recrawlBody).getString("id");
      assertThat(fetchd.awaitTerminal(recrawl, WAIT).getString("state")).isEqualTo("completed");
      List<String> jobs = List.of(download, timedOut, crawl, recrawl);

      // ---- the event streams --------------------------------------------------------------------------------
      events("/jobs/{id}/events", oneEvents);
      events("/events", manyEvents);
      // a finished job's stream: its terminal state (with the error, for one that timed out), then the end
      events("/jobs/{id}/events", EventStream.open(http, fetchd.baseUrl() + "/jobs/" + timedOut + "/events").toEnd(WAIT));
      assertThat(names(oneEvents)).containsOnly("progress", "item", "state").contains("progress", "item", "state");
      assertThat(oneEvents.stream().filter(e -> e.event().equals("item")).map(e -> e.json().getString("state")))
          .containsExactlyInAnyOrder("succeeded", "succeeded", "failed");
      assertThat(last(oneEvents).json().getString("state")).isEqualTo("completed");
      assertThat(names(manyEvents)).containsOnly("progress", "state", "missing").contains("progress", "state", "missing");

      // ---- the JSON answers ---------------------------------------------------------------------------------
      String again = check(fetchd.post("/jobs", downloadBody.encode(), "Idempotency-Key", "contract-download"),
          "post", "/jobs", 200).getString("id");
      assertThat(again).isEqualTo(download);
      check(fetchd.post("/jobs", crawlBody.encode(), "Idempotency-Key", "contract-download"), "post", "/jobs", 422);

      check(fetchd.get("/jobs"), "get", "/jobs", 200);
      JsonObject firstPage = check(fetchd.get("/jobs?limit=1"), "get", "/jobs", 200);
      assertThat(firstPage.getString("next")).isNotNull();
      check(fetchd.get("/jobs?limit=1&cursor=" + firstPage.getString("next")), "get", "/jobs", 200);
      check(fetchd.get("/jobs?state=completed"), "get", "/jobs", 200);

      for (String id : jobs) {
        check(fetchd.get("/jobs/" + id), "get", "/jobs/{id}", 200);
        check(fetchd.get("/jobs/" + id + "?wait=1"), "get", "/jobs/{id}", 200);
        check(fetchd.get("/jobs/" + id + "/items"), "get", "/jobs/{id}/items", 200);
        check(fetchd.get("/jobs/" + id + "/deliveries"), "get", "/jobs/{id}/deliveries", 200);
      }
      JsonObject itemPage = check(fetchd.get("/jobs/" + crawl + "/items?limit=2"), "get", "/jobs/{id}/items", 200);
      check(fetchd.get("/jobs/" + crawl + "/items?limit=2&cursor=" + itemPage.getString("next")),
          "get", "/jobs/{id}/items", 200);
      check(fetchd.get("/jobs/" + download + "/items?state=failed"), "get", "/jobs/{id}/items", 200);
      check(fetchd.delete("/jobs/" + download), "delete", "/jobs/{id}", 200); // already finished: as it is

      // the webhook deliveries, once both events of the download went out
      RunningService.await("the download's two deliveries succeeded", WAIT, () -> {
        JsonArray d = fetchd.get("/jobs/" + download + "/deliveries").json().getJsonArray("deliveries");
        return d.size() == 2 && d.stream().allMatch(o -> ((JsonObject) o).getString("status").equals("succeeded"));
      }, () -> fetchd.get("/jobs/" + download + "/deliveries").body());
      RunningService.await("the timed-out job's delivery succeeded", WAIT, () -> fetchd.get("/jobs/" + timedOut
          + "/deliveries").json().getJsonArray("deliveries").stream()
          .anyMatch(o -> ((JsonObject) o).getString("status").equals("succeeded")));
      JsonObject deliveries = check(fetchd.get("/jobs/" + download + "/deliveries"), "get", "/jobs/{id}/deliveries", 200);
      assertThat(deliveries.getJsonArray("deliveries").stream().map(o -> ((JsonObject) o).getString("event")))
          .containsExactly("item.failed", "job.completed");
      JsonObject deliveryPage = check(fetchd.get("/jobs/" + download + "/deliveries?limit=1"),
          "get", "/jobs/{id}/deliveries", 200);
      check(fetchd.get("/jobs/" + download + "/deliveries?limit=1&cursor=" + deliveryPage.getString("next")),
          "get", "/jobs/{id}/deliveries", 200);
      check(fetchd.get("/jobs/" + timedOut + "/deliveries"), "get", "/jobs/{id}/deliveries", 200);

      // what the webhooks received: the request bodies the contract's webhooks declare, signed
      List<WebhookReceiver.Received> received = new ArrayList<>(hooks.received());
      received.addAll(timeoutHooks.received());
      assertThat(received).extracting(WebhookReceiver.Received::type)
          .containsExactlyInAnyOrder("item.failed", "job.completed", "job.timed_out");
      for (WebhookReceiver.Received r : received) {
        assertThat(r.verified()).as("signature of " + r.type()).isTrue();
        String hook = r.type().equals("item.failed") ? "itemFailed" : "jobEvent";
        contract.validate("/webhooks/" + hook + "/post/requestBody/content/application~1json/schema", r.json(),
            "webhook " + r.type());
      }

      // problems: refused by the router's validation, by the service, unknown ids and routes
      check(fetchd.get("/jobs?limit=0"), "get", "/jobs", 400);
      check(fetchd.get("/jobs/" + crawl + "/items?state=done"), "get", "/jobs/{id}/items", 400);
      check(fetchd.post("/jobs", "{\"type\":\"download\",\"urls\":[\"ftp://example.com/x\"]}"), "post", "/jobs", 400);
      check(fetchd.post("/jobs", "{\"type\":\"download\",\"urls\":[]}"), "post", "/jobs", 400);
      check(fetchd.get("/jobs/no-such-job"), "get", "/jobs/{id}", 404);
      check(fetchd.delete("/jobs/no-such-job"), "delete", "/jobs/{id}", 404);
      check(fetchd.get("/jobs/no-such-job/items"), "get", "/jobs/{id}/items", 404);
      check(fetchd.get("/jobs/no-such-job/deliveries"), "get", "/jobs/{id}/deliveries", 404);
      check(fetchd.get("/jobs/no-such-job/events"), "get", "/jobs/{id}/events", 404);
      int missing = fetchd.items(download).stream().filter(i -> i.getString("state").equals("failed"))
          .findFirst().orElseThrow().getInteger("index");
      check(fetchd.get("/jobs/" + download + "/items/" + missing + "/content"), "get", "/jobs/{id}/items/{n}/content", 404);
      // not an operation of the contract (an item is read from the items list): a problem document like any 404
      RunningService.Response unknownRoute = fetchd.get("/jobs/" + download + "/items/0");
      assertThat(unknownRoute.status()).isEqualTo(404);
      assertThat(unknownRoute.header("Content-Type")).isEqualTo("application/problem+json");
      contract.validate("/components/schemas/Problem", unknownRoute.json(), "GET /jobs/{id}/items/0 (no such route)");

      check(fetchd.get("/health/live"), "get", "/health/live", 200);
      check(fetchd.get("/health/ready"), "get", "/health/ready", 200);
      check(fetchd.get("/openapi.json"), "get", "/openapi.json", 200);

      // ---- what was seen --------------------------------------------------------------------------------------
      assertThat(contract.problems).as("answers that do not match the contract").isEmpty();
      List<JsonObject> crawlItems = fetchd.items(crawl);
      assertThat(crawlItems).as("an item found through a sitemap")
          .anyMatch(i -> "sitemap".equals(i.getString("via")));
      assertThat(crawlItems).extracting(i -> i.getString("kind")).contains("page", "asset");
      assertThat(crawlItems).anyMatch(i -> i.getString("state").equals("skipped"));
      assertThat(fetchd.items(recrawl)).as("a recrawled item answered 304")
          .anyMatch(i -> i.getBoolean("unchanged") && i.getInteger("status") == 304);
      assertThat(fetchd.get("/jobs/" + recrawl).json().getJsonObject("progress").getLong("unchanged")).isPositive();
      Set<String> unseen = contract.declaredButUnseen();
      System.out.println("ResponseContractTest: " + contract.validated + " documents validated; declared but not seen: "
          + unseen);
      assertThat(unseen).as("properties the contract declares that no answer carried").isSubsetOf(NEVER_SEEN_HERE.keySet());
      assertThat(fetchd.blockedThreads()).isEmpty();
      System.out.printf("ResponseContractTest: %.1f s%n", (System.nanoTime() - started) / 1e9);
    }
  }

  // ---- the scenario's parts ---------------------------------------------------------------------------------

  /**
   * A small site with validators (so a recrawl gets 304s): the seed links to a page, to a page robots.txt
   * disallows and to an image; robots.txt names a sitemap listing a page no link reaches.
   */
  private static void site(TargetServer target) {
    target.validatedHtml("/site/home", "<a href='/site/linked'>linked</a> <a href='/site/private/x'>private</a>"
        + " <img src='/site/logo.png'>");
    target.validatedHtml("/site/linked", "no links");
    target.validatedHtml("/site/hidden", "only in the sitemap");
    target.validated("/site/logo.png", "image/png", new byte[] {(byte) 0x89, 'P', 'N', 'G'}, true, true);
    target.page("/robots.txt", "text/plain", "User-agent: *\nDisallow: /site/private\n\nSitemap: "
        + target.url("/site/sitemap.xml") + "\n");
    target.page("/site/sitemap.xml", "application/xml", "<?xml version='1.0' encoding='UTF-8'?>\n"
        + "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>" + target.url("/site/hidden")
        + "</loc></url></urlset>");
  }

  /** Submits and checks the 202 answer against the contract. */
  private JsonObject submitted(RunningService fetchd, JsonObject body, String... headers) {
    return check(fetchd.post("/jobs", body.encode(), headers), "post", "/jobs", 202);
  }

  /** Holds requests until {@link #open}, then answers them and every later one at once. */
  static final class Gate {
    private final List<Runnable> held = new ArrayList<>();
    private boolean open;

    io.vertx.core.Handler<HttpServerRequest> answer(int status, String body) {
      return req -> {
        Context ctx = Vertx.currentContext();
        Runnable answer = () -> req.response().setStatusCode(status).putHeader("Content-Type", "text/plain").end(body);
        synchronized (this) {
          if (!open) {
            held.add(() -> ctx.runOnContext(v -> answer.run()));
            return;
          }
        }
        answer.run();
      };
    }

    synchronized int held() {
      return held.size();
    }

    void open() {
      List<Runnable> now;
      synchronized (this) {
        open = true;
        now = List.copyOf(held);
        held.clear();
      }
      now.forEach(Runnable::run);
    }
  }

  // ---- checking answers ----------------------------------------------------------------------------------------

  /**
   * Checks an answer of the operation at {@code method path}: the status, a content type the contract declares for
   * it, its required headers, and the body against that content's schema. Returns the body.
   */
  private JsonObject check(RunningService.Response r, String method, String path, int status) {
    String where = method.toUpperCase() + " " + path + " " + status;
    assertThat(r.status()).as(where + ": " + r.body()).isEqualTo(status);
    String response = contract.response(path, method, status);
    String type = r.header("Content-Type");
    assertThat(type).as(where + " Content-Type").isNotNull();
    String mediaType = type.split(";")[0].trim();
    JsonObject content = contract.at(response).getJsonObject("content", new JsonObject());
    assertThat(content.fieldNames()).as(where + ": the content types declared").contains(mediaType);
    contract.at(response).getJsonObject("headers", new JsonObject()).forEach(h -> {
      JsonObject header = contract.deref(response + "/headers/" + Contract.escape(h.getKey()), (JsonObject) h.getValue())
          .node();
      if (header.getBoolean("required", false)) {
        assertThat(r.header(h.getKey())).as(where + " header " + h.getKey()).isNotNull();
      }
    });
    JsonObject body = r.json();
    contract.validate(response + "/content/" + Contract.escape(mediaType) + "/schema", body, where);
    return body;
  }

  /** Every event of a stream of {@code path}: a name its 200 declares in x-events, and data of that schema. */
  private void events(String path, List<SseEvent> events) {
    JsonObject declared = contract.at(contract.response(path, "get", 200))
        .getJsonObject("content").getJsonObject("text/event-stream").getJsonObject("x-events");
    assertThat(events).as("GET " + path + ": events").isNotEmpty();
    long lastId = 0;
    for (SseEvent e : events) {
      assertThat(declared.fieldNames()).as("GET " + path + ": event names the contract declares").contains(e.event());
      assertThat(e.id()).as("ids increase").isGreaterThan(lastId);
      lastId = e.id();
      String ref = declared.getString(e.event());
      assertThat(ref).startsWith("#/");
      contract.validate(ref.substring(1), e.json(), "GET " + path + " event " + e.event());
    }
    assertThat(last(events).event()).as("a stream ends after a state event").isEqualTo("state");
  }

  private static List<String> names(List<SseEvent> events) {
    return events.stream().map(SseEvent::event).toList();
  }

  private static SseEvent last(List<SseEvent> events) {
    return events.get(events.size() - 1);
  }

  // ---- the contract ----------------------------------------------------------------------------------------

  /**
   * openapi.yaml as published, in a JSON Schema 2020-12 repository (schemas are looked up by JSON pointer into
   * the document, their {@code $ref}s resolved within it), with what was checked so far: the mismatches found,
   * and which declared properties the answers carried.
   */
  static final class Contract {
    final JsonObject doc;
    private final SchemaRepository repository;
    private final JsonSchemaOptions options = new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
        .setOutputFormat(OutputFormat.Basic).setBaseUri(BASE);
    private final Map<String, Validator> validators = new HashMap<>();
    /** Every mismatch found, with where: checked together at the end so one run lists them all. */
    final Set<String> problems = new LinkedHashSet<>();
    /** Per object schema (by name) the properties it declares, and those an answer carried. */
    private final Map<String, Set<String>> declared = new LinkedHashMap<>();
    private final Map<String, Set<String>> seen = new HashMap<>();
    int validated;

    @SuppressWarnings("unchecked")
    Contract(Path file) {
      try {
        Object yaml = new org.yaml.snakeyaml.Yaml().load(Files.readString(file));
        doc = new JsonObject((Map<String, Object>) yaml);
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
      repository = SchemaRepository.create(options);
      repository.dereference(BASE, JsonSchema.of(doc.copy()));
    }

    static String escape(String segment) {
      return segment.replace("~", "~0").replace("/", "~1");
    }

    /** The node at a JSON pointer into the document (no $ref followed). */
    JsonObject at(String pointer) {
      Object node = doc;
      for (String segment : pointer.substring(1).split("/", -1)) {
        String key = segment.replace("~1", "/").replace("~0", "~");
        node = node instanceof JsonObject o ? o.getValue(key)
            : node instanceof JsonArray a ? a.getValue(Integer.parseInt(key)) : null;
        if (node == null) {
          throw new AssertionError("the contract has nothing at " + pointer);
        }
      }
      return (JsonObject) node;
    }

    record Resolved(String pointer, JsonObject node) {
    }

    /** Follows a node's local $ref (as an OpenAPI response or header may be), to where the content is. */
    Resolved deref(String pointer, JsonObject node) {
      for (int i = 0; node.containsKey("$ref") && i < 10; i++) {
        String ref = node.getString("$ref");
        assertThat(ref).startsWith("#/");
        pointer = ref.substring(1);
        node = at(pointer);
      }
      return new Resolved(pointer, node);
    }

    /** The pointer of the response the contract declares for this operation and status. */
    String response(String path, String method, int status) {
      String operation = "/paths/" + escape(path) + "/" + method;
      JsonObject responses = at(operation).getJsonObject("responses");
      String key = responses.containsKey(String.valueOf(status)) ? String.valueOf(status) : "default";
      assertThat(responses.fieldNames()).as(method.toUpperCase() + " " + path + ": a declared status for " + status)
          .contains(key);
      return deref(operation + "/responses/" + key, responses.getJsonObject(key)).pointer();
    }

    /** Validates a value against the schema at a pointer, and lists its properties the contract does not declare. */
    void validate(String schemaPointer, Object value, String where) {
      validated++;
      OutputUnit result = validator(schemaPointer).validate(value);
      if (!result.getValid()) {
        List<OutputUnit> errors = result.getErrors() == null ? List.of() : result.getErrors();
        for (OutputUnit e : errors) {
          // the causes only: not the "a subschema had errors" of every schema above them
          boolean above = errors.stream().anyMatch(f -> f.getKeywordLocation().startsWith(e.getKeywordLocation() + "/"));
          if (!above) {
            problems.add(where + ": " + e.getInstanceLocation() + " " + e.getError() + " (" + e.getKeywordLocation() + ")");
          }
        }
        if (errors.isEmpty()) {
          problems.add(where + ": " + result.getError());
        }
        problems.add(where + ": the answer was " + (value instanceof JsonObject o ? o.encode() : value));
      }
      walk(value, List.of(schemaPointer), "", where);
    }

    private Validator validator(String pointer) {
      return validators.computeIfAbsent(pointer, p -> repository.validator(JsonSchema.of(new JsonObject()
          .put("$ref", BASE + "#" + p.replace("{", "%7B").replace("}", "%7D"))), options));
    }

    private boolean valid(String pointer, Object value) {
      return validator(pointer).validate(value).getValid();
    }

    /** Every schema that applies to the value at a pointer: itself, its $ref and allOf, the oneOf/anyOf it matches. */
    private void applicable(String pointer, Object value, Collection<String> out, int depth) {
      if (depth > 40 || !out.add(pointer)) {
        return;
      }
      JsonObject node = at(pointer);
      if (node.containsKey("$ref")) {
        String ref = node.getString("$ref");
        assertThat(ref).as("only local $refs").startsWith("#/");
        applicable(ref.substring(1), value, out, depth + 1);
      }
      JsonArray allOf = node.getJsonArray("allOf");
      for (int i = 0; allOf != null && i < allOf.size(); i++) {
        applicable(pointer + "/allOf/" + i, value, out, depth + 1);
      }
      for (String choice : List.of("oneOf", "anyOf")) {
        JsonArray branches = node.getJsonArray(choice);
        for (int i = 0; branches != null && i < branches.size(); i++) {
          if (valid(pointer + "/" + choice + "/" + i, value)) {
            applicable(pointer + "/" + choice + "/" + i, value, out, depth + 1);
          }
        }
      }
    }

    /**
     * Walks a value with the schemas that apply to it: an object property none of them declares (by
     * {@code properties}, or by an {@code additionalProperties} schema) is a mismatch, unless none of them says
     * anything of the object's properties (a free-form {@code type: object}).
     */
    private void walk(Object value, List<String> pointers, String at, String where) {
      Set<String> nodes = new LinkedHashSet<>();
      pointers.forEach(p -> applicable(p, value, nodes, 0));
      if (value instanceof JsonObject object) {
        Map<String, List<String>> properties = new LinkedHashMap<>();
        Map<String, List<String>> declaredBy = new HashMap<>();
        List<String> additional = new ArrayList<>();
        boolean closed = false;
        boolean open = false;
        for (String n : nodes) {
          JsonObject node = at(n);
          JsonObject props = node.getJsonObject("properties");
          if (props != null) {
            for (String name : props.fieldNames()) {
              properties.computeIfAbsent(name, k -> new ArrayList<>()).add(n + "/properties/" + escape(name));
              declaredBy.computeIfAbsent(name, k -> new ArrayList<>()).add(n);
              declared.computeIfAbsent(schemaName(n), k -> new TreeSet<>()).add(name);
            }
          }
          Object more = node.getValue("additionalProperties");
          if (more instanceof JsonObject) {
            additional.add(n + "/additionalProperties");
          } else if (Boolean.TRUE.equals(more)) {
            open = true;
          } else if (Boolean.FALSE.equals(more)) {
            closed = true;
          }
        }
        if (properties.isEmpty() && additional.isEmpty() && !closed) {
          open = true;
        }
        for (String key : object.fieldNames()) {
          String inner = at + "/" + key;
          if (properties.containsKey(key)) {
            declaredBy.get(key).forEach(n -> seen.computeIfAbsent(schemaName(n), k -> new TreeSet<>()).add(key));
            walk(object.getValue(key), properties.get(key), inner, where);
          } else if (!additional.isEmpty()) {
            walk(object.getValue(key), additional, inner, where);
          } else if (!open) {
            problems.add(where + ": " + inner + " is sent but not declared by "
                + nodes.stream().map(Contract::schemaName).distinct().collect(Collectors.joining(", ")));
          }
        }
      } else if (value instanceof JsonArray array) {
        List<String> items = nodes.stream().filter(n -> at(n).containsKey("items")).map(n -> n + "/items").toList();
        for (int i = 0; i < array.size() && !items.isEmpty(); i++) {
          walk(array.getValue(i), items, at + "/" + i, where);
        }
      }
    }

    /** {@code Item} for {@code /components/schemas/Item}; the pointer itself for an inline schema. */
    private static String schemaName(String pointer) {
      String prefix = "/components/schemas/";
      return pointer.startsWith(prefix) && pointer.indexOf('/', prefix.length()) < 0
          ? pointer.substring(prefix.length()) : pointer;
    }

    /** {@code Schema.property} for each property declared by a schema some answer had, that no answer carried. */
    Set<String> declaredButUnseen() {
      Set<String> out = new TreeSet<>();
      declared.forEach((schema, names) -> names.stream()
          .filter(n -> !seen.getOrDefault(schema, Set.of()).contains(n))
          .forEach(n -> out.add(schema + "." + n)));
      return out;
    }
  }

  // ---- event streams, read as an SSE client reads them -------------------------------------------------------

  record SseEvent(long id, String event, String data) {
    JsonObject json() {
      return new JsonObject(data);
    }
  }

  /**
   * One event stream, opened (the answer's head received, 200 text/event-stream) before it is read: events are
   * dispatched at each blank line; {@code :} lines are comments. Each event must have an id, a name and data.
   */
  static final class EventStream {
    private final CompletableFuture<List<SseEvent>> events = new CompletableFuture<>();
    private final InputStream body;

    private EventStream(InputStream body) {
      this.body = body;
      Thread reader = new Thread(this::read, "contract-event-stream");
      reader.setDaemon(true);
      reader.start();
    }

    static EventStream open(HttpClient http, String url) throws Exception {
      HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(WAIT).build(),
          HttpResponse.BodyHandlers.ofInputStream());
      if (r.statusCode() != 200) {
        throw new AssertionError(url + " answered " + r.statusCode() + ": " + new String(r.body().readAllBytes(),
            StandardCharsets.UTF_8));
      }
      assertThat(r.headers().firstValue("Content-Type")).as(url).hasValue("text/event-stream");
      return new EventStream(r.body());
    }

    private void read() {
      List<SseEvent> out = new ArrayList<>();
      Map<String, String> fields = new HashMap<>();
      try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.isEmpty()) {
            if (!fields.isEmpty()) {
              assertThat(fields.keySet()).as("an event's fields").containsExactlyInAnyOrder("id", "event", "data");
              out.add(new SseEvent(Long.parseLong(fields.get("id")), fields.get("event"), fields.get("data")));
              fields.clear();
            }
          } else if (!line.startsWith(":")) {
            int colon = line.indexOf(':');
            assertThat(colon).as("a field line: " + line).isPositive();
            String value = line.substring(colon + 1);
            String old = fields.put(line.substring(0, colon), value.startsWith(" ") ? value.substring(1) : value);
            assertThat(old).as("one line per field: " + line).isNull();
          }
        }
        assertThat(fields).as("no event cut short at the end").isEmpty();
        events.complete(out);
      } catch (Throwable e) {
        events.completeExceptionally(new AssertionError("after " + out, e));
      }
    }

    /** Every event, once the server ended the stream; fails if it did not within {@code wait}. */
    List<SseEvent> toEnd(Duration wait) throws Exception {
      try {
        return events.get(wait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        body.close();
        throw new AssertionError("the stream did not end within " + wait, e);
      }
    }
  }
}
