package dev.fetchd.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The service's own meters, named {@code fetchd_*} in the Prometheus exposition. Gauges read live engine
 * state through suppliers; the scrape handler runs on the engine's event loop, so those reads are safe.
 */
public final class FetchdMetrics {
  /** A dozen bucket bounds from 10 ms to a minute (+Inf is added): one fetch from a fast LAN to a slow download. */
  static final Duration[] DURATION_BUCKETS = {
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

  private final MeterRegistry registry;
  private final Counter submitted;
  private final Counter bytes;
  private final Counter dedupBytes;
  private final Map<String, Counter> rejected = new HashMap<>();
  private final Counter jobsWriteFailures;
  private final Counter filesWriteFailures;
  private final Map<String, Timer> fetchDurations = new HashMap<>();

  public FetchdMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.submitted = Counter.builder("fetchd.jobs.submitted").description("Jobs accepted by POST /jobs").register(registry);
    this.bytes = Counter.builder("fetchd.fetch.bytes").description("Body bytes stored").register(registry);
    this.dedupBytes = Counter.builder("fetchd.store.dedup.bytes")
        .description("Body bytes fetched by this replica that took no disk space: the same bytes were stored already")
        .register(registry);
    // registered now: an alert on their rate needs the series at 0 before the first failure
    this.jobsWriteFailures = storeWriteFailures("jobs");
    this.filesWriteFailures = storeWriteFailures("files");
    for (String reason : new String[] {"queue_full", "shutting_down", "invalid"}) {
      rejected(reason);
    }
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** Registers a gauge read on each scrape. */
  public void gauge(String name, String description, Supplier<Number> value, String... tags) {
    Gauge.builder(name, value).description(description).tags(tags).register(registry);
  }

  public void jobSubmitted() {
    submitted.increment();
  }

  public void jobRejected(String reason) {
    rejected(reason).increment();
  }

  /** One attempt ended: {@code outcome} is {@code success} or an item error code. */
  public void fetchFinished(String outcome, long nanos, long storedBytes) {
    fetchDurations.computeIfAbsent(outcome, o -> Timer.builder("fetchd.fetch.duration")
            .description("Duration of one fetch attempt, redirects and body included")
            .tag("outcome", o)
            .serviceLevelObjectives(DURATION_BUCKETS)
            .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
    if (storedBytes > 0) {
      bytes.increment(storedBytes);
    }
  }

  /** A body was not stored again: the content-addressed store had those bytes already. */
  public void bodyDeduplicated(long bytes) {
    dedupBytes.increment(bytes);
  }

  /** A write to the job store (PostgreSQL, or memory) failed: one count per attempt, retried ones included. */
  public void jobStoreWriteFailed() {
    jobsWriteFailures.increment();
  }

  /** A fetched body could not be written to the file store (disk full, an I/O error). */
  public void fileStoreWriteFailed() {
    filesWriteFailures.increment();
  }

  private Counter storeWriteFailures(String store) {
    return Counter.builder("fetchd.store.write.failures")
        .description("Writes to the job store (store=jobs) or of bodies to the file store (store=files) that failed")
        .tag("store", store).register(registry);
  }

  private Counter rejected(String reason) {
    return rejected.computeIfAbsent(reason, r -> rejectedCounter(registry, r));
  }

  /** The counter of submissions refused for {@code reason} (the API counts invalid ones itself). */
  public static Counter rejectedCounter(MeterRegistry registry, String reason) {
    return Counter.builder("fetchd.jobs.rejected")
        .description("Job submissions refused, by reason").tag("reason", reason).register(registry);
  }
}
