package dev.fetchd.api;

import dev.fetchd.job.Item;
import dev.fetchd.job.ItemKind;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.Progress;
import dev.fetchd.store.SpecJson;
import dev.fetchd.store.WebhookStore;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.TreeMap;

/** The JSON views of jobs and items, as openapi.yaml describes them. */
public final class JobViews {
  private JobViews() {
  }

  public static String jobPath(String id) {
    return "/jobs/" + id;
  }

  public static JsonObject job(Job job) {
    JsonObject error = job.error() == null ? null
        : new JsonObject().put("code", job.error().code()).put("message", job.error().message());
    return new JsonObject()
        .put("id", job.id())
        .put("type", job.type().wire())
        .put("state", job.state().wire())
        .put("priority", job.spec().priority())
        .put("labels", new JsonObject(new TreeMap<>(job.spec().labels())))
        .put("createdAt", time(job.createdAt()))
        .put("startedAt", time(job.startedAt()))
        .put("finishedAt", time(job.finishedAt()))
        .put("progress", progress(job.progress()))
        .put("error", error)
        .put("spec", spec(job.spec()));
  }

  /** The data of a {@code state} event: the state, and the job's error when it has one. */
  public static JsonObject state(Job job) {
    JsonObject s = new JsonObject().put("state", job.state().wire());
    if (job.error() != null) {
      s.put("error", new JsonObject().put("code", job.error().code()).put("message", job.error().message()));
    }
    return s;
  }

  public static JsonObject progress(Progress p) {
    JsonObject json = new JsonObject()
        .put("total", p.total())
        .put("queued", p.queued())
        .put("running", p.running())
        .put("succeeded", p.succeeded())
        .put("failed", p.failed())
        .put("skipped", p.skipped())
        .put("cancelled", p.cancelled())
        .put("unchanged", p.unchanged())
        .put("bytes", p.bytes());
    if (p.total(ItemKind.PAGE) > 0 || p.total(ItemKind.ASSET) > 0) {
      // a crawl: the same counts for pages and for assets; "discovered" is every item created
      json.put("discovered", p.total())
          .put("notParsed", p.notParsed())
          .put("pages", byKind(p, ItemKind.PAGE))
          .put("assets", byKind(p, ItemKind.ASSET));
    }
    return json;
  }

  private static JsonObject byKind(Progress p, ItemKind kind) {
    JsonObject json = new JsonObject().put("total", p.total(kind));
    for (ItemState s : ItemState.values()) {
      json.put(s.wire(), p.count(kind, s));
    }
    return json;
  }

  /** The spec as accepted, with the URL list replaced by its count: a poll must stay small. */
  public static JsonObject spec(JobSpec spec) {
    return SpecJson.encode(spec);
  }

  public static JsonObject item(Item item) {
    JsonObject error = item.error() == null ? null
        : new JsonObject().put("code", item.error().code().wire()).put("message", item.error().message());
    JsonObject json = new JsonObject()
        .put("index", item.index())
        .put("kind", item.kind().wire())
        .put("url", item.url())
        .put("finalUrl", item.finalUrl())
        .put("depth", item.depth())
        .put("parent", item.parent())
        .put("state", item.state().wire())
        .put("status", item.status())
        .put("contentType", item.contentType())
        .put("bytes", item.bytes())
        .put("sha256", item.sha256())
        .put("unchanged", item.unchanged())
        .put("error", error)
        .put("attempts", item.attempts())
        .put("durationMs", item.durationMs())
        .put("content", item.storedFile() == null ? null
            : jobPath(item.jobId()) + "/items/" + item.index() + "/content");
    if (item.via() != null) {
      json.put("via", item.via()); // optional: absent for seeds and links
    }
    return json;
  }

  /** A webhook delivery: what was sent and what its attempts got; never its secret nor its body. */
  public static JsonObject delivery(WebhookStore.Delivery d) {
    return new JsonObject()
        .put("id", d.id())
        .put("event", d.event())
        .put("url", d.url())
        .put("status", d.status().wire())
        .put("attempts", d.attempts())
        .put("lastStatus", d.lastStatus())
        .put("lastError", d.lastError())
        .put("nextAttemptAt", time(d.nextAttemptAt()))
        .put("createdAt", time(d.createdAt()))
        .put("updatedAt", time(d.updatedAt()));
  }

  private static String time(Instant t) {
    return t == null ? null : t.toString();
  }
}
