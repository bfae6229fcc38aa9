package dev.fetchd.config;

import dev.fetchd.job.Limits;
import java.nio.file.Path;
import java.util.List;

/**
 * The service's configuration, typed and immutable. Built by {@link ConfigLoader} from defaults, then an
 * optional YAML file, then {@code FETCHD_*} environment variables; see {@link #SETTINGS} for every key.
 */
public record FetchdConfig(
    int httpPort,
    long httpMaxBodyBytes,
    Path dataDir,
    int queueCapacity,
    int maxRunningJobs,
    int fetchMaxConcurrency,
    int fetchConnectTimeoutMs,
    int fetchMaxRedirects,
    long fetchMaxRetryAfterMs,
    String fetchUserAgent,
    boolean allowPrivateNetworks,
    List<String> allowNetworks,
    int jobsMaxUrls,
    long jobsRetentionMs,
    long shutdownGraceMs,
    Limits defaultLimits,
    String store,
    String pgUrl,
    int pgPoolSize,
    String pgSchema,
    long leaseMs,
    List<String> apiTokens,
    List<String> adminTokens,
    boolean metricsPublic,
    String filesFsync,
    long crawlMaxCrawlDelayMs,
    int crawlMaxLinksPerPage,
    String httpHost,
    long httpIdleTimeoutMs,
    long httpHeaderTimeoutMs,
    int httpMaxConnections,
    int jobsMaxAttempts,
    long crawlParseMemoryBytes,
    long crawlMaxParseBytes,
    int crawlParseThreads,
    long httpBodyTimeoutMs,
    long httpMaxBodyBytesInFlight,
    String secretsKey,
    String pgPassword,
    long webhooksRetryBaseMs,
    long webhooksTimeoutMs,
    long filesSweepGraceMs) {

  private static final long GIB = 1L << 30;
  /** The largest request body the service can be told to read (bodies are held in memory). */
  public static final long MAX_BODY_BYTES = 256L << 20;
  /** Room per URL in the derived body limit: a quoted URL of up to ~250 characters and its comma. */
  public static final long BODY_BYTES_PER_URL = 256;

  /** Every key the service reads. Keys outside this list are refused in the YAML file. */
  public static final List<Setting> SETTINGS = List.of(
      Setting.integer("http.port", 8080, 0, 65535),
      // 0: derived from jobs.maxUrls (see ConfigLoader.bodyLimit), so that a job of the most URLs fits
      Setting.longValue("http.maxBodyBytes", 0, 0, MAX_BODY_BYTES),
      Setting.string("data.dir", "./data"),
      Setting.integer("queue.capacity", 1000, 1, 1_000_000),
      Setting.integer("maxRunningJobs", 4, 1, 10_000),
      Setting.integer("fetch.maxConcurrency", 256, 1, 100_000),
      Setting.integer("fetch.connectTimeoutMs", 10_000, 100, 600_000),
      Setting.integer("fetch.maxRedirects", 10, 0, 50),
      Setting.longValue("fetch.maxRetryAfterMs", 60_000, 0, 3_600_000),
      Setting.string("fetch.userAgent", "fetchd/0.1 (+https://github.com/fetchd/fetchd)"),
      Setting.bool("allowPrivateNetworks", false),
      Setting.string("allowNetworks", ""),
      Setting.integer("jobs.maxUrls", 100_000, 1, 10_000_000),
      Setting.longValue("jobs.retentionMs", 86_400_000L, 1_000, 365L * 86_400_000L),
      Setting.longValue("shutdown.graceMs", 30_000, 0, 3_600_000),
      Setting.integer("limits.concurrency", 8, 1, 10_000),
      Setting.integer("limits.perHostConcurrency", 4, 1, 1000),
      Setting.longValue("limits.perHostDelayMs", 0, 0, 60_000),
      Setting.longValue("limits.requestTimeoutMs", 30_000, 100, 3_600_000),
      Setting.longValue("limits.timeoutMs", 3_600_000, 1_000, 604_800_000),
      Setting.longValue("limits.maxBytes", 100L << 20, 1, 10 * GIB),
      Setting.integer("limits.retries", 2, 0, 10),
      Setting.choice("store", "memory", "memory", "postgres"),
      Setting.string("pg.url", ""),
      Setting.integer("pg.poolSize", 8, 1, 200),
      Setting.string("pg.schema", ""),
      // the password of pg.url's user, kept apart from the URL (FETCHD_PG_PASSWORD, e.g. from a Kubernetes
      // Secret); it wins over a password in the URL
      Setting.string("pg.password", ""),
      Setting.longValue("leaseMs", 30_000, 1_000, 3_600_000),
      Setting.string("apiTokens", ""),
      Setting.string("apiTokensFile", ""),
      Setting.string("adminTokens", ""),
      // auto: public without tokens, token-only as soon as tokens are set
      Setting.choice("metricsPublic", "auto", "auto", "true", "false"),
      Setting.choice("files.fsync", "auto", "auto", "always", "never"),
      Setting.longValue("crawl.maxCrawlDelayMs", 10_000, 0, 600_000),
      Setting.integer("crawl.maxLinksPerPage", 5_000, 1, 100_000),
      Setting.string("http.host", "0.0.0.0"),
      Setting.longValue("http.idleTimeoutMs", 60_000, 100, 3_600_000),
      Setting.longValue("http.headerTimeoutMs", 10_000, 100, 600_000),
      Setting.integer("http.maxConnections", 10_000, 1, 1_000_000),
      Setting.integer("jobs.maxAttempts", 3, 1, 100),
      // 0: sized from the heap at start (a quarter of it: see PageParser.create)
      Setting.longValue("crawl.parseMemoryBytes", 0, 0, 64 * GIB),
      Setting.longValue("crawl.maxParseBytes", 8L << 20, 1024, 1 * GIB),
      // 0: one per core
      Setting.integer("crawl.parseThreads", 0, 0, 256),
      // time from a request's head to the last byte of its body
      Setting.longValue("http.bodyTimeoutMs", 60_000, 100, 3_600_000),
      // 0: a quarter of the heap, at least one http.maxBodyBytes
      Setting.longValue("http.maxBodyBytesInFlight", 0, 0, 64 * GIB),
      // base64 of 32 bytes: the AES-256 key of secret request values kept in PostgreSQL; empty: none
      Setting.string("secrets.key", ""),
      // the first retry of a webhook delivery; later ones are 60, 360, 1440, 3600, 7200, 7200 times it (5 s:
      // about a day in all)
      Setting.longValue("webhooks.retryBaseMs", 5_000, 1, 3_600_000),
      // one delivery attempt, connect to last byte of the answer
      Setting.longValue("webhooks.timeoutMs", 10_000, 100, 120_000),
      // a stored body nothing refers to is removed once unused for this long (the sweep walks the store as often, at
      // most every 10 minutes); it must exceed the time from storing a body to saving its item (about a second)
      Setting.longValue("files.sweepGraceMs", 600_000, 1_000, 7 * 86_400_000L));

  /**
   * Whether a stored body is fsynced before it is renamed into place. {@code auto}: with PostgreSQL, where
   * a succeeded item outlives a crash and its file must too; not with the in-memory store, where a crash
   * loses the job and its files are removed at the next start anyway.
   */
  public boolean fsyncBodies() {
    return filesFsync.equals("always") || filesFsync.equals("auto") && store.equals("postgres");
  }

  /** True when requests must carry a bearer token. */
  public boolean authEnabled() {
    return !apiTokens.isEmpty() || !adminTokens.isEmpty();
  }

  /** The AES-256 key of secret request values at rest (validated at load), or null when none is set. */
  public byte[] secretsKeyBytes() {
    return secretsKey.isBlank() ? null : java.util.Base64.getDecoder().decode(secretsKey.strip());
  }

  /** Tokens and keys stay out of logs and exception messages. */
  @Override
  public String toString() {
    return "FetchdConfig[port=" + httpPort + ", dataDir=" + dataDir + ", store=" + store + ", tokens="
        + (apiTokens.size() + adminTokens.size()) + "]";
  }

  /** The defaults alone, as {@code java -jar} with no arguments and no environment gets them. */
  public static FetchdConfig defaults() {
    return ConfigLoader.fromMap(java.util.Map.of());
  }
}
