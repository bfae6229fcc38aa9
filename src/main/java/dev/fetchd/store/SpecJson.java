package dev.fetchd.store;

import dev.fetchd.job.CrawlOptions;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import dev.fetchd.job.RequestOptions;
import dev.fetchd.job.Webhook;
import dev.fetchd.job.WebhookEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.function.UnaryOperator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A job's spec as JSON, without its URL list (the URLs are the items): the same document is the API's
 * {@code spec} field and what the PostgreSQL store keeps, so the two cannot drift apart. Secret request values
 * go through a function: {@code "***"} for the API (the default), sealed for the store; the store's copy also
 * keeps the webhook's secret ({@link #encodeStored}).
 */
public final class SpecJson {
  private SpecJson() {
  }

  /** Shows every secret request value as {@code "***"}. */
  public static final UnaryOperator<String> REDACT = v -> RequestOptions.REDACTED;

  /** The spec with its URLs replaced by their count; labels in name order; secret values shown as "***". */
  public static JsonObject encode(JobSpec spec) {
    return encode(spec, REDACT);
  }

  /** The same, with each secret request value replaced by {@code secret.apply(value)}. */
  public static JsonObject encode(JobSpec spec, UnaryOperator<String> secret) {
    Limits l = spec.limits();
    JsonObject limits = new JsonObject()
        .put("concurrency", l.concurrency())
        .put("perHostConcurrency", l.perHostConcurrency())
        .put("perHostDelayMs", l.perHostDelayMs())
        .put("requestTimeoutMs", l.requestTimeoutMs())
        .put("timeoutMs", l.timeoutMs())
        .put("maxBytes", l.maxBytes())
        .put("retries", l.retries());
    JsonObject crawl = null;
    if (spec.crawl() != null) {
      CrawlOptions c = spec.crawl();
      crawl = new JsonObject()
          .put("maxDepth", c.maxDepth())
          .put("maxPages", c.maxPages())
          .put("scope", c.scope().wire())
          .put("include", new JsonArray(c.include()))
          .put("exclude", new JsonArray(c.exclude()))
          .put("assets", c.assets())
          .put("robots", c.robots());
      if (c.sitemaps()) {
        crawl.put("sitemaps", true); // absent means false: specs stored before sitemaps read the same
      }
    }
    JsonObject json = new JsonObject()
        .put("type", spec.type().wire())
        .put("urlCount", spec.urls().size())
        .put("limits", limits)
        .put("crawl", crawl)
        .put("priority", spec.priority())
        .put("labels", new JsonObject(new TreeMap<>(spec.labels())));
    if (!spec.request().isEmpty()) {
      json.put("request", request(spec.request(), secret));
    }
    if (spec.webhook() != null) {
      // url and events only: the secret is shown once, in the answer to the submission that generated it
      json.put("webhook", new JsonObject().put("url", spec.webhook().url())
          .put("events", new JsonArray(spec.webhook().events().stream().map(WebhookEvent::wire).toList())));
    }
    if (spec.since() != null) {
      json.put("since", spec.since()); // absent when none: specs stored before recrawls read the same
    }
    return json;
  }

  private static JsonObject request(RequestOptions r, UnaryOperator<String> secret) {
    JsonObject headers = new JsonObject();
    r.headers().forEach((k, v) -> headers.put(k, r.isSecret(k) ? secret.apply(v) : v));
    JsonArray cookies = new JsonArray();
    for (RequestOptions.Cookie c : r.cookies()) {
      cookies.add(new JsonObject().put("name", c.name()).put("value", secret.apply(c.value()))
          .put("domain", c.domain()).put("path", c.path()));
    }
    return new JsonObject().put("headers", headers).put("userAgent", r.userAgent()).put("cookies", cookies)
        .put("secretHeaders", new JsonArray(List.copyOf(r.secretHeaders())));
  }

  /**
   * The request options read back, each secret value through {@code open}; a value that does not open (no key,
   * another key) stays "***" and marks the options {@link RequestOptions#unreadable()}.
   */
  private static RequestOptions request(JsonObject r, UnaryOperator<String> open) {
    if (r == null) {
      return RequestOptions.NONE;
    }
    boolean[] unreadable = {false};
    UnaryOperator<String> tryOpen = v -> {
      try {
        return open.apply(v);
      } catch (IllegalArgumentException e) {
        unreadable[0] = true;
        return RequestOptions.REDACTED;
      }
    };
    Set<String> secretHeaders = new java.util.LinkedHashSet<>(strings(r.getJsonArray("secretHeaders")));
    RequestOptions probe = new RequestOptions(Map.of(), null, List.of(), secretHeaders);
    Map<String, String> headers = new LinkedHashMap<>();
    r.getJsonObject("headers", new JsonObject()).forEach(e -> headers.put(e.getKey(),
        probe.isSecret(e.getKey()) ? tryOpen.apply(String.valueOf(e.getValue())) : String.valueOf(e.getValue())));
    List<RequestOptions.Cookie> cookies = new java.util.ArrayList<>();
    for (Object o : r.getJsonArray("cookies", new JsonArray())) {
      JsonObject c = (JsonObject) o;
      cookies.add(new RequestOptions.Cookie(c.getString("name"), tryOpen.apply(c.getString("value")),
          c.getString("domain"), c.getString("path", "/")));
    }
    return new RequestOptions(headers, r.getString("userAgent"), cookies, secretHeaders, unreadable[0]);
  }

  /**
   * What a store keeps: {@link #encode} with each secret request value through {@code secret}, and the webhook's
   * secret, which deliveries are signed with.
   */
  public static JsonObject encodeStored(JobSpec spec, UnaryOperator<String> secret) {
    return encodeStored(spec, secret, UnaryOperator.identity());
  }

  /** The same, with the webhook's secret through {@code webhookSecret} (sealed when the store has a key). */
  public static JsonObject encodeStored(JobSpec spec, UnaryOperator<String> secret,
                                        UnaryOperator<String> webhookSecret) {
    JsonObject json = encode(spec, secret);
    if (spec.webhook() != null) {
      json.getJsonObject("webhook").put("secret", webhookSecret.apply(spec.webhook().secret()));
    }
    return json;
  }

  /** The spec read back; its URL list has the right size, every entry {@code urlPlaceholder}. */
  public static JobSpec decode(JsonObject j, String urlPlaceholder) {
    return decode(j, urlPlaceholder, UnaryOperator.identity());
  }

  /** The same, with each secret request value opened by {@code open} (which throws IllegalArgumentException). */
  public static JobSpec decode(JsonObject j, String urlPlaceholder, UnaryOperator<String> open) {
    return decode(j, urlPlaceholder, open, UnaryOperator.identity());
  }

  /** The same, with the webhook's stored secret read through {@code webhookOpen}. */
  public static JobSpec decode(JsonObject j, String urlPlaceholder, UnaryOperator<String> open,
                               UnaryOperator<String> webhookOpen) {
    JsonObject l = j.getJsonObject("limits");
    Limits limits = new Limits(l.getInteger("concurrency"), l.getInteger("perHostConcurrency"),
        l.getLong("perHostDelayMs"), l.getLong("requestTimeoutMs"), l.getLong("timeoutMs"), l.getLong("maxBytes"),
        l.getInteger("retries"));
    CrawlOptions crawl = null;
    JsonObject c = j.getJsonObject("crawl");
    if (c != null) {
      crawl = new CrawlOptions(c.getInteger("maxDepth"), c.getInteger("maxPages"),
          CrawlOptions.Scope.valueOf(c.getString("scope").toUpperCase()), strings(c.getJsonArray("include")),
          strings(c.getJsonArray("exclude")), c.getBoolean("assets"), c.getBoolean("robots"),
          c.getBoolean("sitemaps", false));
    }
    Map<String, String> labels = new HashMap<>();
    j.getJsonObject("labels", new JsonObject()).forEach(e -> labels.put(e.getKey(), String.valueOf(e.getValue())));
    List<String> urls = Collections.nCopies(j.getInteger("urlCount"), urlPlaceholder);
    Webhook webhook = null;
    JsonObject w = j.getJsonObject("webhook");
    if (w != null) {
      webhook = new Webhook(w.getString("url"), strings(w.getJsonArray("events")).stream().map(WebhookEvent::fromWire)
          .filter(java.util.Objects::nonNull).toList(),
          w.getString("secret") == null ? null : webhookOpen.apply(w.getString("secret")));
    }
    return new JobSpec(JobType.fromWire(j.getString("type")), urls, limits, crawl, j.getInteger("priority"), labels,
        request(j.getJsonObject("request"), open), webhook, j.getString("since"));
  }

  private static List<String> strings(JsonArray a) {
    return a == null ? List.of() : a.stream().map(String::valueOf).toList();
  }
}
