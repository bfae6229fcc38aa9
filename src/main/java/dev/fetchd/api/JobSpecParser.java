package dev.fetchd.api;

import dev.fetchd.config.FetchdConfig;
import dev.fetchd.crawl.CrawlScope;
import dev.fetchd.crawl.NormalizedUrl;
import dev.fetchd.crawl.UrlNormalizer;
import dev.fetchd.job.CrawlOptions;
import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import dev.fetchd.job.RequestOptions;
import dev.fetchd.store.SecretBox;
import dev.fetchd.store.SpecJson;
import dev.fetchd.job.Webhook;
import dev.fetchd.job.WebhookEvent;
import dev.fetchd.webhook.WebhookSigner;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a submitted body into a {@link JobSpec}, filling in the service's default limits. The contract
 * has already checked shapes and ranges; this checks what a schema cannot say well (each URL parses, is
 * http or https, has a host; the URL count is within this service's limit) and names each field at fault.
 */
final class JobSpecParser {
  private static final Set<String> TOP_LEVEL = Set.of("type", "urls", "limits", "crawl", "priority", "labels",
      "request",
      "webhook", "since");
  /** Conditional request headers: with {@code since} fetchd sets the validators itself, per URL. */
  private static final Set<String> CONDITIONAL = Set.of("if-none-match", "if-modified-since", "if-match",
      "if-unmodified-since", "if-range");
  /** Job ids are UUIDs; anything much longer cannot name one. */
  static final int MAX_SINCE = 128;
  /** The events a webhook gets when its submission names none: every end of the job. */
  private static final List<WebhookEvent> DEFAULT_EVENTS = List.of(WebhookEvent.JOB_COMPLETED, WebhookEvent.JOB_FAILED,
      WebhookEvent.JOB_CANCELLED, WebhookEvent.JOB_TIMED_OUT);

  private final FetchdConfig config;
  /** Keys the digest of secret values in the request hash: the configured key, else one for this process. */
  private final SecretBox digests;

  JobSpecParser(FetchdConfig config) {
    this.config = config;
    byte[] key = config.secretsKeyBytes();
    if (key == null) {
      key = new byte[32];
      new java.security.SecureRandom().nextBytes(key);
    }
    this.digests = new SecretBox(key);
  }

  JobSpec parse(JsonObject body) {
    Problem.Collector errors = new Problem.Collector();
    if (body == null) {
      throw Problem.invalid("/", "a JSON object is required");
    }
    for (String key : body.fieldNames()) {
      if (!TOP_LEVEL.contains(key)) {
        errors.add("/" + key, "unknown field");
      }
    }
    JobType type = null;
    Object rawType = body.getValue("type");
    if (rawType == null) {
      errors.add("/type", "is required (download or crawl)");
    } else if ("download".equals(rawType)) {
      type = JobType.DOWNLOAD;
    } else if ("crawl".equals(rawType)) {
      type = JobType.CRAWL;
    } else {
      errors.add("/type", "must be download or crawl");
    }
    List<String> urls = urls(body.getValue("urls"), errors);
    Limits limits = limits(body.getValue("limits"), errors);
    CrawlOptions crawl = null;
    if (body.getValue("crawl") != null && type == JobType.DOWNLOAD) {
      errors.add("/crawl", "crawl options apply to crawl jobs only");
    } else if (type == JobType.CRAWL) {
      crawl = crawl(body.getValue("crawl"), errors);
      if (crawl != null && urls.size() > crawl.maxPages()) {
        errors.add("/crawl/maxPages", "is " + crawl.maxPages() + " but the job has " + urls.size()
            + " seed URLs; each seed is a page");
      }
    }
    int priority = (int) number(body.getValue("priority"), "/priority", 0, -1000, 1000, errors);
    Map<String, String> labels = labels(body.getValue("labels"), errors);
    RequestOptions request = RequestOptionsParser.parse(body.getValue("request"), errors);
    Webhook webhook = webhook(body.getValue("webhook"), errors);
    String since = since(body.getValue("since"), request, errors);
    errors.throwIfAny();
    if (request.hasSecrets() && config.store().equals("postgres") && config.secretsKeyBytes() == null) {
      throw secretsKeyMissing(request);
    }
    return new JobSpec(type, urls, limits, crawl, priority, labels, request, webhook, since);
  }

  /**
   * {@code since}: the id of an earlier job to revalidate (whether the caller may see it is checked against the
   * store when the job is submitted). Own conditional headers would fight the validators fetchd sends: refused.
   */
  private static String since(Object raw, RequestOptions request, Problem.Collector errors) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof String s) || s.isBlank() || s.length() > MAX_SINCE) {
      errors.add("/since", "must be the id of an earlier job");
      return null;
    }
    for (String name : request.headers().keySet()) {
      if (CONDITIONAL.contains(name.toLowerCase(Locale.ROOT))) {
        errors.add("/request/headers/" + RequestOptionsParser.pointer(name), "cannot be combined with since: fetchd"
            + " sends the validators the earlier job saw (If-None-Match, If-Modified-Since) per URL");
      }
    }
    return s;
  }

  /** Secrets would have to be stored in clear: refused, naming each secret field, until a key is configured. */
  private static Problem secretsKeyMissing(RequestOptions request) {
    List<Problem.FieldError> fields = new ArrayList<>();
    String why = "is secret, and this service keeps jobs in PostgreSQL without secrets.key (FETCHD_SECRETS_KEY)"
        + " to encrypt it";
    request.headers().keySet().stream().filter(request::isSecret)
        .forEach(h -> fields.add(new Problem.FieldError("/request/headers/" + RequestOptionsParser.pointer(h), why)));
    for (int i = 0; i < request.cookies().size(); i++) {
      fields.add(new Problem.FieldError("/request/cookies/" + i + "/value", why));
    }
    return new Problem(422, "secrets-key-missing", "Secret request values cannot be stored",
        "this service stores jobs in PostgreSQL and has no secrets.key (FETCHD_SECRETS_KEY, base64 of 32 bytes) to"
            + " encrypt secret header and cookie values with; set one, or submit the job without secret values",
        fields);
  }

  /**
   * The webhook: an http(s) URL, the events wanted (default: every end of the job), and a Standard Webhooks
   * secret, generated when none is given. Null when the submission has none.
   */
  private static Webhook webhook(Object raw, Problem.Collector errors) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonObject w)) {
      errors.add("/webhook", "must be an object with a url");
      return null;
    }
    for (String k : w.fieldNames()) {
      if (!Set.of("url", "events", "secret").contains(k)) {
        errors.add("/webhook/" + k, "unknown webhook option");
      }
    }
    String url = null;
    Object rawUrl = w.getValue("url");
    if (!(rawUrl instanceof String u)) {
      errors.add("/webhook/url", "is required: an http or https URL");
    } else {
      String problem = urlProblem(u);
      if (problem != null) {
        errors.add("/webhook/url", problem);
      } else {
        url = u;
      }
    }
    List<WebhookEvent> events = DEFAULT_EVENTS;
    Object rawEvents = w.getValue("events");
    if (rawEvents != null) {
      if (!(rawEvents instanceof JsonArray arr) || arr.isEmpty()) {
        errors.add("/webhook/events", "must be a non-empty array of event names");
      } else {
        List<WebhookEvent> wanted = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
          WebhookEvent e = arr.getValue(i) instanceof String s ? WebhookEvent.fromWire(s) : null;
          if (e == null) {
            errors.add("/webhook/events/" + i, "must be one of job.completed, job.failed, job.cancelled,"
                + " job.timed_out, item.failed");
          } else if (!wanted.contains(e)) {
            wanted.add(e);
          }
        }
        events = wanted;
      }
    }
    String secret = null;
    Object rawSecret = w.getValue("secret");
    if (rawSecret == null) {
      secret = WebhookSigner.generateSecret();
    } else if (!(rawSecret instanceof String s)) {
      errors.add("/webhook/secret", "must be a string");
    } else {
      String problem = WebhookSigner.secretProblem(s);
      if (problem != null) {
        errors.add("/webhook/secret", problem);
      } else {
        secret = s;
      }
    }
    return url == null || secret == null ? null : new Webhook(url, events, secret);
  }

  /** The secret generated for this submission's webhook (none was given), which its answer shows once; or null. */
  static String generatedSecret(JsonObject body, JobSpec spec) {
    return spec.webhook() != null && body.getValue("webhook") instanceof JsonObject w && w.getValue("secret") == null
        ? spec.webhook().secret() : null;
  }

  private List<String> urls(Object raw, Problem.Collector errors) {
    if (raw == null) {
      errors.add("/urls", "is required: a non-empty list of http or https URLs");
      return List.of();
    }
    if (!(raw instanceof JsonArray arr)) {
      errors.add("/urls", "must be an array of URLs");
      return List.of();
    }
    if (arr.isEmpty()) {
      errors.add("/urls", "must hold at least one URL");
    }
    if (arr.size() > config.jobsMaxUrls()) {
      errors.add("/urls", "holds " + arr.size() + " URLs; this service takes at most " + config.jobsMaxUrls() + " per job");
      return List.of();
    }
    List<String> out = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      Object u = arr.getValue(i);
      String field = "/urls/" + i;
      if (!(u instanceof String s)) {
        errors.add(field, "must be a string");
        continue;
      }
      String problem = urlProblem(s);
      if (problem != null) {
        errors.add(field, problem);
      } else {
        out.add(s);
      }
    }
    return out;
  }

  /**
   * Why a URL cannot be fetched, or null if it can be tried. Judged by the URL type every fetch uses
   * ({@link NormalizedUrl}), so what is accepted here is what the fetcher can request: IDN and underscore hosts
   * included.
   */
  static String urlProblem(String s) {
    if (s.isEmpty() || s.length() > UrlNormalizer.MAX_LENGTH) {
      return "must be 1 to " + UrlNormalizer.MAX_LENGTH + " characters";
    }
    String scheme = UrlNormalizer.schemeOf(s);
    if (scheme == null) {
      return "must be an absolute URL (http:// or https://)";
    }
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return "scheme '" + scheme + "' is not supported; use http or https";
    }
    NormalizedUrl u = NormalizedUrl.parse(s);
    if (u == null) {
      return "is not a valid URL: no host, or a bad host or port";
    }
    if (u.userInfo() != null) {
      return "must not carry user info (user:password@)";
    }
    return null;
  }

  /** Crawl options with the defaults of DESIGN.md for what is left out. */
  private static CrawlOptions crawl(Object raw, Problem.Collector errors) {
    JsonObject c = raw == null ? new JsonObject() : raw instanceof JsonObject o ? o : null;
    if (c == null) {
      errors.add("/crawl", "must be an object");
      return null;
    }
    Set<String> known = Set.of("maxDepth", "maxPages", "scope", "include", "exclude", "assets", "robots", "sitemaps");
    for (String k : c.fieldNames()) {
      if (!known.contains(k)) {
        errors.add("/crawl/" + k, "unknown crawl option");
      }
    }
    int maxDepth = (int) number(c.getValue("maxDepth"), "/crawl/maxDepth", 2, 0, 50, errors);
    int maxPages = (int) number(c.getValue("maxPages"), "/crawl/maxPages", 100, 1, 1_000_000, errors);
    CrawlOptions.Scope scope = CrawlOptions.Scope.HOST;
    Object rawScope = c.getValue("scope");
    if (rawScope != null) {
      try {
        scope = CrawlOptions.Scope.valueOf(String.valueOf(rawScope).toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        errors.add("/crawl/scope", "must be host, domain or any");
      }
    }
    List<String> include = patterns(c.getValue("include"), "/crawl/include", errors);
    List<String> exclude = patterns(c.getValue("exclude"), "/crawl/exclude", errors);
    boolean assets = bool(c.getValue("assets"), "/crawl/assets", false, errors);
    boolean robots = bool(c.getValue("robots"), "/crawl/robots", true, errors);
    boolean sitemaps = bool(c.getValue("sitemaps"), "/crawl/sitemaps", false, errors);
    return new CrawlOptions(maxDepth, maxPages, scope, include, exclude, assets, robots, sitemaps);
  }

  private static List<String> patterns(Object raw, String field, Problem.Collector errors) {
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof JsonArray arr)) {
      errors.add(field, "must be an array of regular expressions");
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      out.add(arr.getValue(i) instanceof String s ? s : null);
    }
    CrawlScope.validatePatterns(out).ifPresent(problem ->
        errors.add(problem.index() < 0 ? field : field + "/" + problem.index(), problem.message()));
    return out.contains(null) ? List.of() : out;
  }

  private static boolean bool(Object raw, String field, boolean def, Problem.Collector errors) {
    if (raw == null) {
      return def;
    }
    if (raw instanceof Boolean b) {
      return b;
    }
    errors.add(field, "must be true or false");
    return def;
  }

  private Limits limits(Object raw, Problem.Collector errors) {
    Limits d = config.defaultLimits();
    if (raw == null) {
      return d;
    }
    if (!(raw instanceof JsonObject l)) {
      errors.add("/limits", "must be an object");
      return d;
    }
    Set<String> known = Set.of("concurrency", "perHostConcurrency", "perHostDelayMs", "requestTimeoutMs", "timeoutMs",
        "maxBytes", "retries");
    for (String k : l.fieldNames()) {
      if (!known.contains(k)) {
        errors.add("/limits/" + k, "unknown limit");
      }
    }
    return new Limits(
        (int) number(l.getValue("concurrency"), "/limits/concurrency", d.concurrency(), 1, 10_000, errors),
        (int) number(l.getValue("perHostConcurrency"), "/limits/perHostConcurrency", d.perHostConcurrency(), 1, 1000, errors),
        number(l.getValue("perHostDelayMs"), "/limits/perHostDelayMs", d.perHostDelayMs(), 0, 60_000, errors),
        number(l.getValue("requestTimeoutMs"), "/limits/requestTimeoutMs", d.requestTimeoutMs(), 100, 3_600_000, errors),
        number(l.getValue("timeoutMs"), "/limits/timeoutMs", d.timeoutMs(), 1_000, 604_800_000, errors),
        number(l.getValue("maxBytes"), "/limits/maxBytes", d.maxBytes(), 1, 10L << 30, errors),
        (int) number(l.getValue("retries"), "/limits/retries", d.retries(), 0, 10, errors));
  }

  private static long number(Object raw, String field, long def, long min, long max, Problem.Collector errors) {
    if (raw == null) {
      return def;
    }
    if (!(raw instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      errors.add(field, "must be a whole number");
      return def;
    }
    long v = n.longValue();
    if (v < min || v > max) {
      errors.add(field, "must be between " + min + " and " + max);
      return def;
    }
    return v;
  }

  private static Map<String, String> labels(Object raw, Problem.Collector errors) {
    if (raw == null) {
      return Map.of();
    }
    if (!(raw instanceof JsonObject obj)) {
      errors.add("/labels", "must be an object of strings");
      return Map.of();
    }
    if (obj.size() > 32) {
      errors.add("/labels", "at most 32 labels");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : obj.fieldNames()) {
      Object v = obj.getValue(k);
      if (k.isEmpty() || k.length() > 64) {
        errors.add("/labels/" + k, "label names are 1 to 64 characters");
      } else if (!(v instanceof String s) || s.length() > 256) {
        errors.add("/labels/" + k, "must be a string of at most 256 characters");
      } else {
        out.put(k, s);
      }
    }
    return out;
  }

  /**
   * A digest of the accepted spec: the same body gives the same hash, whatever its key order. Secret request
   * values count through a keyed digest (the hash is stored; a plain hash of a short secret could be guessed).
   */
  String hash(JobSpec spec) {
    JsonObject canonical = JobViews.spec(spec).put("urls", new JsonArray(spec.urls()))
        .put("labels", new JsonObject(new TreeMap<>(spec.labels())));
    if (spec.request().hasSecrets()) {
      canonical.put("secrets", digests.digest(SpecJson.encode(spec, v -> v).getJsonObject("request").encode()));
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.encode().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
