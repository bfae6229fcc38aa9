package dev.fetchd.store;

import dev.fetchd.job.CrawlOptions;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import dev.fetchd.job.Webhook;
import dev.fetchd.job.WebhookEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A job's spec as JSON, without its URL list (the URLs are the items): the same document is the API's
 * {@code spec} field and what the PostgreSQL store keeps, so the two cannot drift apart; the store's copy
 * adds the webhook's secret ({@link #encodeStored}).
 */
public final class SpecJson {
  private SpecJson() {
  }

  /** The spec with its URLs replaced by their count; labels in name order. */
  public static JsonObject encode(JobSpec spec) {
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
    }
    JsonObject json = new JsonObject()
        .put("type", spec.type().wire())
        .put("urlCount", spec.urls().size())
        .put("limits", limits)
        .put("crawl", crawl)
        .put("priority", spec.priority())
        .put("labels", new JsonObject(new TreeMap<>(spec.labels())));
    if (spec.webhook() != null) {
      // url and events only: the secret is shown once, in the answer to the submission that generated it
      json.put("webhook", new JsonObject().put("url", spec.webhook().url())
          .put("events", new JsonArray(spec.webhook().events().stream().map(WebhookEvent::wire).toList())));
    }
    return json;
  }

  /** What a store keeps: {@link #encode} and the webhook's secret, which deliveries are signed with. */
  public static JsonObject encodeStored(JobSpec spec) {
    JsonObject json = encode(spec);
    if (spec.webhook() != null) {
      json.getJsonObject("webhook").put("secret", spec.webhook().secret());
    }
    return json;
  }

  /** The spec read back; its URL list has the right size, every entry {@code urlPlaceholder}. */
  public static JobSpec decode(JsonObject j, String urlPlaceholder) {
    JsonObject l = j.getJsonObject("limits");
    Limits limits = new Limits(l.getInteger("concurrency"), l.getInteger("perHostConcurrency"),
        l.getLong("perHostDelayMs"), l.getLong("requestTimeoutMs"), l.getLong("timeoutMs"), l.getLong("maxBytes"),
        l.getInteger("retries"));
    CrawlOptions crawl = null;
    JsonObject c = j.getJsonObject("crawl");
    if (c != null) {
      crawl = new CrawlOptions(c.getInteger("maxDepth"), c.getInteger("maxPages"),
          CrawlOptions.Scope.valueOf(c.getString("scope").toUpperCase()), strings(c.getJsonArray("include")),
          strings(c.getJsonArray("exclude")), c.getBoolean("assets"), c.getBoolean("robots"));
    }
    Map<String, String> labels = new HashMap<>();
    j.getJsonObject("labels", new JsonObject()).forEach(e -> labels.put(e.getKey(), String.valueOf(e.getValue())));
    List<String> urls = Collections.nCopies(j.getInteger("urlCount"), urlPlaceholder);
    Webhook webhook = null;
    JsonObject w = j.getJsonObject("webhook");
    if (w != null) {
      webhook = new Webhook(w.getString("url"), strings(w.getJsonArray("events")).stream().map(WebhookEvent::fromWire)
          .filter(java.util.Objects::nonNull).toList(), w.getString("secret"));
    }
    return new JobSpec(JobType.fromWire(j.getString("type")), urls, limits, crawl, j.getInteger("priority"), labels,
        webhook);
  }

  private static List<String> strings(JsonArray a) {
    return a == null ? List.of() : a.stream().map(String::valueOf).toList();
  }
}
