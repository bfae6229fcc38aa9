package dev.fetchd.config;

import dev.fetchd.job.Limits;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Builds {@link FetchdConfig}: defaults, overridden by a YAML file, overridden by {@code FETCHD_*} environment
 * variables. Runs once in {@code main}, before Vert.x starts, so reading the file here blocks nothing.
 */
public final class ConfigLoader {
  private ConfigLoader() {
  }

  /**
   * Loads the configuration a process gets.
   *
   * @param yamlFile the {@code --config} file, or null for FETCHD_CONFIG or none
   * @param env      the environment; unknown FETCHD_* names are ignored on purpose, because Kubernetes
   *                 injects FETCHD_PORT, FETCHD_SERVICE_HOST... for a Service named fetchd
   */
  public static FetchdConfig load(Path yamlFile, Map<String, String> env) {
    Map<String, Object> values = new LinkedHashMap<>();
    Path file = yamlFile != null ? yamlFile
        : env.containsKey("FETCHD_CONFIG") && !env.get("FETCHD_CONFIG").isBlank() ? Path.of(env.get("FETCHD_CONFIG")) : null;
    if (file != null) {
      flatten("", readYaml(file), values, file.toString());
    }
    for (Setting s : FetchdConfig.SETTINGS) {
      String v = env.get(s.envName());
      if (v != null) {
        values.put(s.key(), s.parse(v, "environment variable " + s.envName()));
      }
    }
    return fromMap(values);
  }

  /** Builds the configuration from dotted keys (tests use this); unknown keys and bad values are refused. */
  public static FetchdConfig fromMap(Map<String, ?> overrides) {
    Map<String, Setting> byKey = new HashMap<>();
    FetchdConfig.SETTINGS.forEach(s -> byKey.put(s.key(), s));
    Map<String, Object> v = new HashMap<>();
    FetchdConfig.SETTINGS.forEach(s -> v.put(s.key(), s.defaultValue()));
    overrides.forEach((key, raw) -> {
      Setting s = byKey.get(key);
      if (s == null) {
        throw new ConfigException("unknown configuration key '" + key + "'");
      }
      if (raw == null) {
        throw new ConfigException("configuration key '" + key + "' has no value");
      }
      v.put(key, s.parse(raw, "configuration"));
    });
    List<String> allowNetworks = Arrays.stream(((String) v.get("allowNetworks")).split(","))
        .map(String::trim).filter(x -> !x.isEmpty()).toList();
    for (String cidr : allowNetworks) {
      if (!cidr.matches("[0-9a-fA-F:.]+/\\d{1,3}")) {
        throw new ConfigException("allowNetworks (FETCHD_ALLOW_NETWORKS): '" + cidr + "' is not a CIDR like 10.1.0.0/16");
      }
    }
    String store = (String) v.get("store");
    String pgUrl = (String) v.get("pg.url");
    if (store.equals("postgres") && pgUrl.isBlank()) {
      throw new ConfigException("pg.url (FETCHD_PG_URL) is required when store is postgres");
    }
    List<String> apiTokens = new java.util.ArrayList<>(tokens((String) v.get("apiTokens")));
    String tokensFile = (String) v.get("apiTokensFile");
    if (!tokensFile.isBlank()) {
      try {
        // one token per line; blank lines and # comments ignored. Read once, at start, before Vert.x runs.
        for (String line : Files.readAllLines(Path.of(tokensFile))) {
          String t = line.strip();
          if (!t.isEmpty() && !t.startsWith("#")) {
            apiTokens.add(t);
          }
        }
      } catch (IOException e) {
        throw new ConfigException("apiTokensFile (FETCHD_API_TOKENS_FILE): cannot read " + tokensFile + ": " + e.getMessage());
      }
    }
    List<String> adminTokens = tokens((String) v.get("adminTokens"));
    for (String t : concat(apiTokens, adminTokens)) {
      if (t.length() < 16) {
        throw new ConfigException("apiTokens/adminTokens (FETCHD_API_TOKENS, FETCHD_ADMIN_TOKENS): tokens must be at least "
            + "16 characters; one has " + t.length());
      }
    }
    Limits limits = new Limits((int) v.get("limits.concurrency"), (int) v.get("limits.perHostConcurrency"),
        (long) v.get("limits.perHostDelayMs"), (long) v.get("limits.requestTimeoutMs"),
        (long) v.get("limits.timeoutMs"), (long) v.get("limits.maxBytes"), (int) v.get("limits.retries"));
    return new FetchdConfig((int) v.get("http.port"), bodyLimit((long) v.get("http.maxBodyBytes"), (int) v.get("jobs.maxUrls")),
        Path.of((String) v.get("data.dir")), (int) v.get("queue.capacity"), (int) v.get("maxRunningJobs"),
        (int) v.get("fetch.maxConcurrency"), (int) v.get("fetch.connectTimeoutMs"), (int) v.get("fetch.maxRedirects"),
        (long) v.get("fetch.maxRetryAfterMs"), (String) v.get("fetch.userAgent"), (boolean) v.get("allowPrivateNetworks"),
        allowNetworks, (int) v.get("jobs.maxUrls"), (long) v.get("jobs.retentionMs"), (long) v.get("shutdown.graceMs"),
        limits, store, pgUrl, (int) v.get("pg.poolSize"), (String) v.get("pg.schema"), (long) v.get("leaseMs"), List.copyOf(apiTokens), adminTokens,
        metricsPublic((String) v.get("metricsPublic"), !apiTokens.isEmpty() || !adminTokens.isEmpty()), (String) v.get("files.fsync"), (long) v.get("crawl.maxCrawlDelayMs"), (int) v.get("crawl.maxLinksPerPage"),
        (String) v.get("http.host"), (long) v.get("http.idleTimeoutMs"), (long) v.get("http.headerTimeoutMs"),
        (int) v.get("http.maxConnections"), (int) v.get("jobs.maxAttempts"), (long) v.get("crawl.parseMemoryBytes"),
        (long) v.get("crawl.maxParseBytes"), (int) v.get("crawl.parseThreads"), (long) v.get("http.bodyTimeoutMs"),
        (long) v.get("http.maxBodyBytesInFlight"), secretsKey((String) v.get("secrets.key")),
        (String) v.get("pg.password"), (long) v.get("webhooks.retryBaseMs"), (long) v.get("webhooks.timeoutMs"),
        sweepGrace((long) v.get("files.sweepGraceMs"), store, (long) v.get("leaseMs")));
  }

  /**
   * With PostgreSQL, replicas share the bodies and each sweeps them: a replica cut off from the database keeps its
   * claim, and bodies whose items it has not saved yet, for up to {@code leaseMs}; another replica must not take those
   * for nobody's meanwhile. Alone (the memory store) only the next checkpoint (about a second) matters.
   */
  private static long sweepGrace(long graceMs, String store, long leaseMs) {
    if (store.equals("postgres") && graceMs < leaseMs + SWEEP_GRACE_OVER_LEASE_MS) {
      throw new ConfigException("files.sweepGraceMs (FETCHD_FILES_SWEEP_GRACE_MS): " + graceMs + " is below leaseMs + "
          + SWEEP_GRACE_OVER_LEASE_MS + " (" + (leaseMs + SWEEP_GRACE_OVER_LEASE_MS) + "): with PostgreSQL a replica"
          + " may hold bodies it has not saved yet for as long as its lease");
    }
    return graceMs;
  }

  /** What the sweep's grace must exceed the claim lease by: two checkpoints of the items' saves. */
  static final long SWEEP_GRACE_OVER_LEASE_MS = 2_000;

  /**
   * The request body limit: as set, or (0) derived from {@code jobs.maxUrls}: 256 bytes per URL plus 1 MiB
   * for the rest of the body, within 1 MiB..256 MiB. 100,000 URLs give 25.4 MiB.
   */
  private static long bodyLimit(long configured, int maxUrls) {
    if (configured == 0) {
      return Math.min(FetchdConfig.MAX_BODY_BYTES, (1L << 20) + maxUrls * FetchdConfig.BODY_BYTES_PER_URL);
    }
    if (configured < 1024) {
      throw new ConfigException("http.maxBodyBytes (FETCHD_HTTP_MAX_BODY_BYTES): " + configured
          + " is below 1024 (0 derives it from jobs.maxUrls)");
    }
    return configured;
  }

  /** The key as given once it decodes to 32 bytes; the message never shows the value. */
  private static String secretsKey(String base64) {
    if (base64.isBlank()) {
      return "";
    }
    byte[] key;
    try {
      key = java.util.Base64.getDecoder().decode(base64.strip());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("secrets.key (FETCHD_SECRETS_KEY): not valid base64; expected base64 of 32 random"
          + " bytes (e.g. openssl rand -base64 32)");
    }
    if (key.length != 32) {
      throw new ConfigException("secrets.key (FETCHD_SECRETS_KEY): decodes to " + key.length + " bytes; expected 32"
          + " (e.g. openssl rand -base64 32)");
    }
    return base64.strip();
  }

  /** {@code auto}: /metrics is public only while the API itself is (no token configured). */
  private static boolean metricsPublic(String choice, boolean tokens) {
    return choice.equals("auto") ? !tokens : Boolean.parseBoolean(choice);
  }

  private static List<String> tokens(String csv) {
    return Arrays.stream(csv.split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static Object readYaml(Path file) {
    try (Reader r = Files.newBufferedReader(file)) {
      Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
      return doc == null ? Map.of() : doc;
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    } catch (RuntimeException e) {
      throw new ConfigException("config file " + file + " is not valid YAML: " + e.getMessage());
    }
  }

  /** Turns nested YAML maps into dotted keys; a key may also be written dotted in the file. */
  private static void flatten(String prefix, Object node, Map<String, Object> out, String file) {
    if (!(node instanceof Map<?, ?> map)) {
      throw new ConfigException("config file " + file + ": expected a mapping at '" + (prefix.isEmpty() ? "/" : prefix) + "'");
    }
    map.forEach((k, val) -> {
      String key = prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k;
      if (val instanceof Map<?, ?>) {
        flatten(key, val, out, file);
      } else {
        boolean known = FetchdConfig.SETTINGS.stream().anyMatch(s -> s.key().equals(key));
        if (!known) {
          throw new ConfigException("config file " + file + ": unknown key '" + key + "'");
        }
        out.put(key, val);
      }
    });
  }
}
