package dev.fetchd.api;

import dev.fetchd.engine.JobEngine;
import dev.fetchd.engine.SubmitRefused;
import dev.fetchd.files.FileStore;
import dev.fetchd.job.Job;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobState;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import java.nio.file.Path;
import java.util.List;

/**
 * The job endpoints: read the validated request, call the engine, write the view. Nothing here fetches or
 * changes a job by itself.
 */
final class JobRoutes {
  private static final int DEFAULT_PAGE = 100;
  /** Bodies up to this size are checked and hashed on the event loop (well under a millisecond). */
  private static final int INLINE_BODY_BYTES = ContractValidator.INLINE_BODY_BYTES;
  /** Finished jobs whose JSON is kept for the next GET (about a KiB each), within a sixty-fourth of the heap. */
  private static final int FINISHED_VIEWS = 4096;
  private static final long FINISHED_VIEW_BYTES = Math.min(16L << 20, Runtime.getRuntime().maxMemory() / 64);

  private final JobEngine engine;
  private final FileStore files;
  private final EncodedView[] lastViews = new EncodedView[64];
  private final FinishedViews finished;
  private final JobSpecParser parser;
  private final WarcExport warc;

  JobRoutes(JobEngine engine, FileStore files, JobSpecParser parser, WarcExport warc, long retentionMs) {
    this.engine = engine;
    this.files = files;
    this.parser = parser;
    this.warc = warc;
    this.finished = new FinishedViews(retentionMs, FINISHED_VIEWS, FINISHED_VIEW_BYTES);
  }

  void mount(RouterBuilder builder) {
    builder.getRoute("submitJob").addHandler(this::submit);
    builder.getRoute("listJobs").addHandler(this::list);
    builder.getRoute("getJob").addHandler(this::get);
    builder.getRoute("cancelJob").addHandler(this::cancel);
    builder.getRoute("listItems").addHandler(this::items);
    builder.getRoute("getItemContent").addHandler(this::content);
    builder.getRoute("headItemContent").addHandler(this::content);
    builder.getRoute("getJobEvents").addHandler(this::events);
    builder.getRoute("followJobs").addHandler(this::followJobs);
    builder.getRoute("listDeliveries").addHandler(this::deliveries);
    builder.getRoute("getJobWarc").addHandler(this::warc);
  }

  private void submit(RoutingContext ctx) {
    String key = ctx.request().getHeader("Idempotency-Key");
    String owner = TokenAuth.caller(ctx).owner();
    // decoding, checking and hashing are linear in the body: a big one (100,000 URLs is ~20 MB) would hold
    // the event loop for hundreds of ms, so it is done on a worker; small ones stay here (no hop)
    // the hash only matters to an Idempotency-Key (a replay must match the first body): none, no hash
    boolean hash = key != null;
    Future<Parsed> parsed = ctx.body().length() <= INLINE_BODY_BYTES
        ? Future.succeededFuture(parse(ctx, hash))
        : ctx.vertx().executeBlocking(() -> parse(ctx, hash), false);
    String[] secret = {null};
    parsed
        .compose(p -> {
          secret[0] = p.newSecret();
          return webhookAllowed(p.spec())
              .compose(v -> sinceVisible(p.spec(), TokenAuth.caller(ctx)))
              .compose(v -> engine.submit(p.spec(), key, p.hash(), owner));
        })
        .onSuccess(s -> {
          ctx.response().putHeader("Location", JobViews.jobPath(s.job().id()));
          JsonObject view = JobViews.job(s.job());
          if (!s.replayed() && secret[0] != null) {
            // a generated secret is shown here, once: no later view of the job carries it
            view.getJsonObject("spec").getJsonObject("webhook").put("secret", secret[0]);
          }
          json(ctx, s.replayed() ? 200 : 202, view);
        })
        .onFailure(err -> ctx.fail(refusal(err)));
  }

  private record Parsed(JobSpec spec, String hash, String newSecret) {
  }

  /** A webhook URL the address guard refuses (private networks, say) is refused now, not at its first event. */
  private Future<Void> webhookAllowed(JobSpec spec) {
    if (spec.webhook() == null) {
      return Future.succeededFuture();
    }
    return engine.webhookRefusal(spec.webhook().url()).compose(refusal -> refusal == null ? Future.succeededFuture()
        : Future.failedFuture(Problem.invalid("/webhook/url", refusal)));
  }

  /**
   * {@code since} names a job this caller may read (the rules of GET /jobs/{id}): another owner's job is as unknown
   * as a missing one, and both are bad input of this submission.
   */
  private Future<Void> sinceVisible(JobSpec spec, TokenAuth.Caller caller) {
    if (spec.since() == null) {
      return Future.succeededFuture();
    }
    return visible(spec.since(), caller).compose(known -> known ? Future.succeededFuture()
        : Future.failedFuture(Problem.invalid("/since", "no job " + spec.since() + ": since must name an earlier job"
            + " you can read")));
  }

  /** The submitted body as a spec and its hash (null unless asked); throws a {@link Problem} for bad input. */
  private Parsed parse(RoutingContext ctx, boolean hash) {
    JsonObject body;
    try {
      // decoded once, by the contract's validation
      body = ctx.get(ContractValidator.BODY) instanceof JsonObject decoded ? decoded : ctx.body().asJsonObject();
    } catch (RuntimeException e) {
      throw Problem.invalid("/", "the body is not a JSON object");
    }
    JobSpec spec = parser.parse(body);
    return new Parsed(spec, hash ? parser.hash(spec) : null, JobSpecParser.generatedSecret(body, spec));
  }

  private void list(RoutingContext ctx) {
    JobState state = param(ctx, "state") == null ? null : JobState.fromWire(param(ctx, "state"));
    engine.list(state, TokenAuth.caller(ctx).listFilter(), limit(ctx), param(ctx, "cursor"))
        .onSuccess(page -> {
          JsonArray jobs = new JsonArray();
          page.entries().forEach(j -> jobs.add(JobViews.job(j)));
          json(ctx, 200, new JsonObject().put("jobs", jobs).put("next", page.next()));
        })
        .onFailure(err -> ctx.fail(badCursor(err)));
  }

  private void get(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String wait = param(ctx, "wait");
    long waitMs = wait == null ? 0 : Long.parseLong(wait) * 1000;
    TokenAuth.Caller caller = TokenAuth.caller(ctx);
    FinishedViews.View done = finished.get(id, System.currentTimeMillis());
    if (done != null) {
      // finished: the same answer as the last read, with or without a wait
      if (caller.sees(done.owner())) {
        ctx.response().putHeader("Content-Type", "application/json").end(done.body());
      } else {
        ctx.fail(Problem.notFound("no job " + id));
      }
      return;
    }
    // one read of the job serves both the visibility check and the answer; a job running here is read from its
    // latest copy, without waiting for a turn on the engine's loop (busy with that very job)
    Job running = engine.peek(id);
    (running != null ? Future.succeededFuture(running) : engine.get(id))
        .compose(seen -> seen == null || !caller.sees(seen.owner()) ? Future.succeededFuture(null)
            : waitMs <= 0 || seen.state().isTerminal() ? Future.succeededFuture(seen)
            : engine.awaitTerminal(seen, waitMs))
        .onSuccess(job -> {
          if (job == null) {
            ctx.fail(Problem.notFound("no job " + id));
          } else if (!ctx.response().closed()) {
            ctx.response().putHeader("Content-Type", "application/json").end(encodedView(job));
          }
        })
        .onFailure(ctx::fail);
  }

  /**
   * The job's JSON, encoded once per published copy of a running job (polled by many clients, or in a tight loop,
   * it is the same copy for up to {@code JobSnapshots.REFRESH_MS}). A few slots by id hash bound what is kept; a
   * copy handed out only once (read from the store) is encoded as usual.
   */
  private Buffer encodedView(Job job) {
    if (job.state().isTerminal()) {
      return finished.encode(job, System.currentTimeMillis());
    }
    int slot = (job.id().hashCode() & 0x7fffffff) % lastViews.length;
    EncodedView last = lastViews[slot];
    if (last != null && last.job == job) {
      return last.body;
    }
    Buffer body = Buffer.buffer(JobViews.job(job).encode());
    if (job == engine.peek(job.id())) {
      lastViews[slot] = new EncodedView(job, body);
    }
    return body;
  }

  private record EncodedView(Job job, Buffer body) {}

  private void cancel(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    visible(id, TokenAuth.caller(ctx))
        .compose(known -> known ? engine.cancel(id) : Future.succeededFuture(null))
        .onSuccess(job -> {
          if (job == null) {
            ctx.fail(Problem.notFound("no job " + id));
          } else {
            json(ctx, 200, JobViews.job(job));
          }
        })
        .onFailure(ctx::fail);
  }

  private void events(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    TokenAuth.Caller caller = TokenAuth.caller(ctx);
    engine.get(id)
        .onSuccess(job -> {
          if (job == null || !caller.sees(job.owner())) {
            ctx.fail(Problem.notFound("no job " + id));
          } else {
            JobEventStream.open(ctx, engine, job);
          }
        })
        .onFailure(ctx::fail);
  }

  /** The contract checked {@code jobs}: 1 to 100 distinct ids, comma-separated. */
  private void followJobs(RoutingContext ctx) {
    List<String> ids = List.of(ctx.queryParams().get("jobs").split(",", -1));
    TokenAuth.Caller caller = TokenAuth.caller(ctx);
    // a job another caller owns is as missing as an unknown one
    List<Future<Job>> reads = ids.stream()
        .map(id -> engine.get(id).map(job -> job != null && caller.sees(job.owner()) ? job : null))
        .toList();
    Future.all(reads)
        .onSuccess(v -> MultiJobEventStream.open(ctx, engine, ids, reads.stream().map(Future::result).toList()))
        .onFailure(ctx::fail);
  }

  private void items(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    ItemState state = param(ctx, "state") == null ? null : ItemState.fromWire(param(ctx, "state"));
    visible(id, TokenAuth.caller(ctx))
        .compose(known -> known ? engine.items(id, state, limit(ctx), param(ctx, "cursor")) : Future.succeededFuture(null))
        .onSuccess(page -> {
          if (page == null) {
            ctx.fail(Problem.notFound("no job " + id));
            return;
          }
          JsonArray items = new JsonArray();
          page.entries().forEach(i -> items.add(JobViews.item(i)));
          json(ctx, 200, new JsonObject().put("items", items).put("next", page.next()));
        })
        .onFailure(err -> ctx.fail(badCursor(err)));
  }

  private void deliveries(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    visible(id, TokenAuth.caller(ctx))
        .compose(known -> known ? engine.deliveries(id, limit(ctx), param(ctx, "cursor")) : Future.succeededFuture(null))
        .onSuccess(page -> {
          if (page == null) {
            ctx.fail(Problem.notFound("no job " + id));
            return;
          }
          JsonArray deliveries = new JsonArray();
          page.entries().forEach(d -> deliveries.add(JobViews.delivery(d)));
          json(ctx, 200, new JsonObject().put("deliveries", deliveries).put("next", page.next()));
        })
        .onFailure(err -> ctx.fail(badCursor(err)));
  }

  private void content(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    int n;
    try {
      n = Integer.parseInt(ctx.pathParam("n"));
    } catch (NumberFormatException e) {
      throw Problem.invalid("/n", "must be an item index");
    }
    visible(id, TokenAuth.caller(ctx))
        .compose(known -> known ? engine.item(id, n) : Future.succeededFuture(null))
        .onSuccess(item -> {
          Path path = item == null || item.storedFile() == null ? null : files.resolve(item.storedFile());
          if (path == null) {
            ctx.fail(Problem.notFound(item == null ? "no item " + n + " in job " + id
                : "item " + n + " of job " + id + " has no stored content (state " + item.state().wire() + ")"));
            return;
          }
          // size and modification time from the file itself: what is served is what is on disk
          ctx.vertx().fileSystem().props(path.toString())
              .onSuccess(props -> ItemContent.send(ctx, item, path, props))
              .onFailure(err -> ctx.fail(Problem.notFound("content of item " + n + " of job " + id + " is gone")));
        })
        .onFailure(ctx::fail);
  }

  private void warc(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    boolean gzip = "true".equals(param(ctx, "gzip"));
    TokenAuth.Caller caller = TokenAuth.caller(ctx);
    engine.get(id)
        .onSuccess(job -> {
          if (job == null || !caller.sees(job.owner())) {
            ctx.fail(Problem.notFound("no job " + id));
            return;
          }
          warc.send(ctx, job, gzip);
        })
        .onFailure(ctx::fail);
  }

  /** Whether the job exists for this caller: another owner's job is as unknown as a missing one. */
  private Future<Boolean> visible(String id, TokenAuth.Caller caller) {
    return engine.get(id).map(job -> job != null && caller.sees(job.owner()));
  }

  private static Throwable refusal(Throwable err) {
    if (err instanceof SubmitRefused r) {
      return switch (r.reason()) {
        case QUEUE_FULL -> new Problem(429, "queue-full", "The job queue is full", r.getMessage(), List.of())
            .retryAfter(r.retryAfterSeconds());
        case SHUTTING_DOWN -> new Problem(503, "shutting-down", "The service is shutting down", r.getMessage(),
            List.of()).retryAfter(r.retryAfterSeconds());
        case IDEMPOTENCY_CONFLICT -> new Problem(422, "idempotency-key-reused", "Idempotency-Key reused",
            r.getMessage(), List.of(new Problem.FieldError("Idempotency-Key", r.getMessage())));
      };
    }
    return err;
  }

  private static Throwable badCursor(Throwable err) {
    return err instanceof IllegalArgumentException ? Problem.invalid("cursor", "is not a cursor this service gave out")
        : err;
  }

  private static int limit(RoutingContext ctx) {
    String l = param(ctx, "limit");
    return l == null ? DEFAULT_PAGE : Integer.parseInt(l);
  }

  private static String param(RoutingContext ctx, String name) {
    String v = ctx.queryParams().get(name);
    return v == null || v.isEmpty() ? null : v;
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

}
