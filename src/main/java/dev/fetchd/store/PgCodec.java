package dev.fetchd.store;

import dev.fetchd.job.ErrorCode;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemError;
import dev.fetchd.job.ItemKind;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.job.JobError;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobState;
import dev.fetchd.job.Progress;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Rows to domain objects and back. The spec is stored as JSON without its URLs: they are the items. */
@SuppressWarnings("unchecked")
final class PgCodec {
  private PgCodec() {
  }

  static final String JOB_COLUMNS = "id, seq, type, state, priority, labels, spec, created_at, started_at, finished_at,"
      + " error_code, error_message, progress, idempotency_key, request_hash, owner, claimed_by, lease_until, attempt,"
      + " deadline_at";

  static final String ITEM_COLUMNS = "job_id, idx, kind, url, final_url, depth, parent, state, status, content_type,"
      + " bytes, sha256, error_code, error_message, attempts, duration_ms, stored_file, via, request_head, response_head,"
      + " unchanged";

  /** How many parameters {@link #itemArrays} fills ($1..$n): a statement's own parameters follow them. */
  static final int ITEM_ARRAYS = 21;

  /** The unnest(...) of {@link #itemArrays}: one typed array per item column, $1..$21. */
  static final String ITEM_UNNEST = "unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::int[],"
      + " $7::text[], $8::text[], $9::int[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[],"
      + " $15::int[], $16::bigint[], $17::text[], $18::text[], $19::text[], $20::text[], $21::boolean[])"
      + " AS u(job_id, idx, kind, url, final_url, depth, parent, state, status, content_type, bytes, sha256, error_code,"
      + " error_message, attempts, duration_ms, stored_file, via, request_head, response_head, unchanged)";


  // ---- jobs ------------------------------------------------------------------------------------------

  /**
   * The spec as stored: secret request values sealed with {@code secrets} for this job. Without a key such a
   * spec is refused (the API refuses those jobs first): a secret is never written in clear.
   */
  static JsonObject specJson(JobSpec spec, String jobId, SecretBox secrets) {
    return (JsonObject) safeJson(SpecJson.encodeStored(spec, value -> {
      if (secrets == null) {
        throw new IllegalStateException("a job with secret request values needs secrets.key (FETCHD_SECRETS_KEY)");
      }
      return secrets.seal(value, jobId);
    }, webhookSecret -> secrets == null ? webhookSecret : secrets.seal(webhookSecret, jobId)));
  }

  static JsonObject labelsJson(Map<String, String> labels) {
    return (JsonObject) safeJson(new JsonObject(new HashMap<>(labels)));
  }

  /**
   * Text PostgreSQL can hold: it refuses NUL in text and in jsonb (22P05), and one refused value would lose
   * a whole batch of writes. NUL comes from hostile targets and clients; it becomes U+FFFD, as a decoder
   * marks bytes it cannot show.
   */
  static String safe(String s) {
    return s == null || s.indexOf('\u0000') < 0 ? s : s.replace('\u0000', '\uFFFD');
  }

  /** {@link #safe} over every key and string of a JSON value. */
  static Object safeJson(Object v) {
    if (v instanceof String str) {
      return safe(str);
    }
    if (v instanceof JsonObject o) {
      JsonObject out = new JsonObject();
      o.forEach(e -> out.put(safe(e.getKey()), safeJson(e.getValue())));
      return out;
    }
    if (v instanceof io.vertx.core.json.JsonArray a) {
      io.vertx.core.json.JsonArray out = new io.vertx.core.json.JsonArray();
      a.forEach(x -> out.add(safeJson(x)));
      return out;
    }
    if (v instanceof Map<?, ?> m) {
      return safeJson(new JsonObject(new HashMap<>((Map<String, Object>) m)));
    }
    if (v instanceof List<?> l) {
      return safeJson(new io.vertx.core.json.JsonArray(new java.util.ArrayList<>(l)));
    }
    return v;
  }

  /**
   * The spec read back. Its URL list has the right size but every entry is {@link PgJobStore#URL_NOT_LOADED}:
   * the URLs are the items, and a job of 50,000 URLs must not load them on every read.
   */
  static JobSpec spec(JsonObject j, String jobId, SecretBox secrets) {
    return SpecJson.decode(j, PgJobStore.URL_NOT_LOADED, sealed -> {
      if (secrets == null) {
        throw new IllegalArgumentException("no key");
      }
      return secrets.open(sealed, jobId);
    }, webhookSecret -> openIfSealed(webhookSecret, jobId, secrets));
  }

  /**
   * A webhook secret as kept: sealed when the store had a key (opened here), in clear otherwise. A sealed one
   * without the key stays sealed: its deliveries are not sent by this replica (nothing to sign with) but left to
   * one with the key, and a delivery recorded with it keeps it sealed as it is.
   */
  static String openIfSealed(String value, String jobId, SecretBox secrets) {
    if (value == null || secrets == null || !value.startsWith(SecretBox.PREFIX)) {
      return value;
    }
    try {
      return secrets.open(value, jobId);
    } catch (IllegalArgumentException e) {
      return value;
    }
  }


  static Job job(Row r, SecretBox secrets) {
    String id = r.getString("id");
    Job job = new Job(id, spec(r.getJsonObject("spec"), id, secrets), instant(r.getOffsetDateTime("created_at")),
        r.getString("idempotency_key"), r.getString("request_hash"), r.getString("owner"));
    String code = r.getString("error_code");
    job.restore(JobState.fromWire(r.getString("state")), instant(r.getOffsetDateTime("started_at")),
        instant(r.getOffsetDateTime("finished_at")), code == null ? null : new JobError(code, r.getString("error_message")));
    restoreProgress(r.getJsonObject("progress"), job.progress());
    return job;
  }

  /** {"bytes": n, "counts": {kind: {state: n}}}, zero counts left out. */
  static JsonObject progressJson(Progress p) {
    JsonObject counts = new JsonObject();
    for (ItemKind kind : ItemKind.values()) {
      JsonObject byState = new JsonObject();
      for (ItemState state : ItemState.values()) {
        long n = p.count(kind, state);
        if (n != 0) {
          byState.put(state.wire(), n);
        }
      }
      if (!byState.isEmpty()) {
        counts.put(kind.wire(), byState);
      }
    }
    return new JsonObject().put("bytes", p.bytes()).put("counts", counts).put("notParsed", p.notParsed())
        .put("unchanged", p.unchanged());
  }

  static void restoreProgress(JsonObject j, Progress p) {
    JsonObject counts = j.getJsonObject("counts", new JsonObject());
    for (ItemKind kind : ItemKind.values()) {
      JsonObject byState = counts.getJsonObject(kind.wire(), new JsonObject());
      for (ItemState state : ItemState.values()) {
        p.restore(kind, state, byState.getLong(state.wire(), 0L));
      }
    }
    p.restoreBytes(j.getLong("bytes", 0L));
    p.restoreNotParsed(j.getLong("notParsed", 0L));
    p.restoreUnchanged(j.getLong("unchanged", 0L));
  }

  /** Parameters $1.. of an insert into fetchd_jobs, in the order of {@link PgJobStore}'s INSERT. */
  static Tuple insertJob(Job job, SecretBox secrets) {
    var p = job.progress();
    JobError e = job.error();
    return Tuple.tuple()
        .addString(job.id())
        .addString(job.type().wire())
        .addString(job.state().wire())
        .addInteger(job.spec().priority())
        .addValue(labelsJson(job.spec().labels()))
        .addValue(specJson(job.spec(), job.id(), secrets))
        .addOffsetDateTime(odt(job.createdAt()))
        .addOffsetDateTime(odt(job.startedAt()))
        .addOffsetDateTime(odt(job.finishedAt()))
        .addString(e == null ? null : e.code())
        .addString(e == null ? null : safe(e.message()))
        .addValue(progressJson(job.progress()))
        .addString(safe(job.idempotencyKey()))
        .addString(job.requestHash())
        .addString(job.owner());
  }

  /** $2.. of an update of a job's mutable fields (state, timestamps, error, progress), after the id in $1. */
  static Tuple updateJob(Job job) {
    JobError e = job.error();
    return Tuple.tuple()
        .addString(job.id())
        .addString(job.state().wire())
        .addOffsetDateTime(odt(job.startedAt()))
        .addOffsetDateTime(odt(job.finishedAt()))
        .addString(e == null ? null : e.code())
        .addString(e == null ? null : safe(e.message()))
        .addValue(progressJson(job.progress()));
  }

  /** SET clause matching {@link #updateJob(Job)}: $2..$7; a statement's own parameters start at $8. */
  static final String UPDATE_JOB_SET = "state = $2, started_at = $3, finished_at = $4, error_code = $5,"
      + " error_message = $6, progress = $7::jsonb";

  // ---- items -----------------------------------------------------------------------------------------

  static Item item(Row r) {
    Item item = new Item(r.getString("job_id"), r.getInteger("idx"), ItemKind.fromWire(r.getString("kind")),
        r.getString("url"), r.getInteger("depth"), r.getString("parent"));
    item.state(ItemState.fromWire(r.getString("state")));
    item.response(r.getString("final_url"), r.getInteger("status"), r.getString("content_type"));
    // stored() clears the error, so the error comes after it
    item.stored(r.getString("stored_file"), r.getLong("bytes"), r.getString("sha256"));
    String code = r.getString("error_code");
    if (code != null) {
      item.error(new ItemError(ErrorCode.fromWire(code), r.getString("error_message")));
    }
    item.attempts(r.getInteger("attempts"));
    item.durationMs(r.getLong("duration_ms"));
    item.via(r.getString("via"));
    item.heads(r.getString("request_head"), r.getString("response_head"));
    item.unchanged(Boolean.TRUE.equals(r.getBoolean("unchanged")));
    return item;
  }

  /** One array per column of {@link #ITEM_UNNEST}, for items [from, to): one statement writes them all. */
  static Tuple itemArrays(List<Item> items, int from, int to) {
    int n = to - from;
    String[] jobId = new String[n];
    Integer[] idx = new Integer[n];
    String[] kind = new String[n];
    String[] url = new String[n];
    String[] finalUrl = new String[n];
    Integer[] depth = new Integer[n];
    String[] parent = new String[n];
    String[] state = new String[n];
    Integer[] status = new Integer[n];
    String[] contentType = new String[n];
    Long[] bytes = new Long[n];
    String[] sha = new String[n];
    String[] errorCode = new String[n];
    String[] errorMessage = new String[n];
    Integer[] attempts = new Integer[n];
    Long[] duration = new Long[n];
    String[] stored = new String[n];
    String[] via = new String[n];
    String[] requestHead = new String[n];
    String[] responseHead = new String[n];
    Boolean[] unchanged = new Boolean[n];
    for (int i = 0; i < n; i++) {
      Item it = items.get(from + i);
      jobId[i] = it.jobId();
      idx[i] = it.index();
      kind[i] = it.kind().wire();
      url[i] = safe(it.url());
      finalUrl[i] = safe(it.finalUrl());
      depth[i] = it.depth();
      parent[i] = safe(it.parent());
      state[i] = it.state().wire();
      status[i] = it.status();
      contentType[i] = safe(it.contentType());
      bytes[i] = it.bytes();
      sha[i] = it.sha256();
      errorCode[i] = it.error() == null ? null : it.error().code().wire();
      errorMessage[i] = it.error() == null ? null : safe(it.error().message());
      attempts[i] = it.attempts();
      duration[i] = it.durationMs();
      stored[i] = safe(it.storedFile());
      via[i] = it.via();
      requestHead[i] = safe(it.requestHead());
      responseHead[i] = safe(it.responseHead());
      unchanged[i] = it.unchanged();
    }
    return Tuple.of(jobId, idx, kind, url, finalUrl, depth, parent, state, status, contentType, bytes, sha, errorCode,
        errorMessage, attempts, duration, stored, via, requestHead, responseHead, unchanged);
  }

  // ---- time ------------------------------------------------------------------------------------------

  static OffsetDateTime odt(Instant t) {
    return t == null ? null : OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
  }

  static Instant instant(OffsetDateTime t) {
    return t == null ? null : t.toInstant();
  }
}
