package dev.fetchd.deploy;

import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What the deployment files may name: the environment variables fetchd reads (taken from the config class
 * itself, so a renamed key fails these tests) and the metrics it exports (checked against a running fetchd
 * by {@code MetricsExposedTest}).
 */
final class FetchdInterface {

  /** Environment variables of fetchd's configuration: dotted key, camelCase to UPPER_SNAKE, dots to "_". */
  static final Set<String> CONFIG_ENV = dev.fetchd.config.FetchdConfig.SETTINGS.stream()
      .map(dev.fetchd.config.Setting::envName).collect(java.util.stream.Collectors.toUnmodifiableSet());

  /**
   * Secret settings, which belong in a Kubernetes Secret rather than a ConfigMap. The token variables are
   * named in DESIGN.md (API tokens, a later issue); the PostgreSQL URL usually carries a password; the secrets
   * key encrypts secret request values at rest.
   */
  static final Set<String> SECRET_ENV = Set.of("FETCHD_API_TOKENS", "FETCHD_ADMIN_TOKENS", "FETCHD_PG_URL",
      "FETCHD_SECRETS_KEY");

  /** Every FETCHD_* variable fetchd reads. */
  static final Set<String> ALL_ENV = union(CONFIG_ENV, SECRET_ENV);

  /** fetchd's own metrics, as exposed to Prometheus (histogram series included). */
  static final Set<String> FETCHD_METRICS = Set.of(
      "fetchd_queue_depth",
      "fetchd_queue_capacity",
      "fetchd_jobs",
      "fetchd_jobs_submitted_total",
      "fetchd_jobs_rejected_total",
      "fetchd_fetch_permits_in_use",
      "fetchd_fetch_permits_limit",
      "fetchd_fetch_waiters",
      "fetchd_host_permits_waiters",
      "fetchd_fetch_duration_seconds_bucket",
      "fetchd_fetch_duration_seconds_count",
      "fetchd_fetch_duration_seconds_sum",
      "fetchd_fetch_bytes_total",
      "fetchd_event_loop_lag_seconds",
      "fetchd_running_jobs",
      "fetchd_running_jobs_limit",
      "fetchd_jobs_followed",
      "fetchd_job_transitions_total",
      "fetchd_http_connections",
      "fetchd_http_connections_refused_total",
      "fetchd_store_write_failures_total",
      "fetchd_api_requests_total",
      "fetchd_api_request_duration_seconds_bucket",
      "fetchd_api_request_duration_seconds_count",
      "fetchd_api_request_duration_seconds_sum");

  /** Families exported by Vert.x and the JVM binders; their exact names depend on those libraries. */
  static final List<String> OTHER_METRIC_PREFIXES = List.of("vertx_", "jvm_", "process_");

  static boolean isKnownMetric(String name) {
    return FETCHD_METRICS.contains(name)
        || (!name.startsWith("fetchd_") && OTHER_METRIC_PREFIXES.stream().anyMatch(name::startsWith));
  }

  private static final Pattern GROUPING = Pattern.compile(
      "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");
  private static final Set<String> PROMQL_WORDS = Set.of(
      "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
      "inf", "nan");

  /**
   * The metric names a PromQL expression selects: identifiers that are not functions, keywords, label
   * names in matchers or grouping clauses, strings, durations or Grafana variables.
   */
  static Set<String> metricNames(String promql) {
    String s = promql
        .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ")   // strings, label values
        .replaceAll("\\{[^}]*}", " ")                   // label matchers
        .replaceAll("\\[[^]]*]", " ")                   // range and subquery durations
        .replaceAll("\\$\\{?\\w+}?", " ");              // Grafana variables outside the above
    s = GROUPING.matcher(s).replaceAll(" ");
    Matcher m = IDENTIFIER.matcher(s);
    Set<String> names = new java.util.TreeSet<>();
    while (m.find()) {
      String word = m.group();
      boolean isCall = s.substring(m.end()).stripLeading().startsWith("(");
      boolean isNumberPart = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
      if (!isCall && !isNumberPart && !PROMQL_WORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
        names.add(word);
      }
    }
    return names;
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toUnmodifiableSet());
  }

  private FetchdInterface() {}
}
