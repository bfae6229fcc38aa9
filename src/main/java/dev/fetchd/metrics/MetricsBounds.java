package dev.fetchd.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Set;

/**
 * Keeps the scrape bounded and valid, whatever the service fetches. Installed on the registry before any
 * meter exists:
 * <ul>
 *   <li>Vert.x keeps one HTTP client connection pool per origin (host:port) and names its {@code vertx_pool_*}
 *       meters after it: one series set per site ever fetched, never removed, and a list of other tenants'
 *       targets for anyone who reads /metrics. Those meters are dropped; the fetch side's own gauges
 *       ({@code fetchd_fetch_permits_*}) say how busy it is. Worker pools keep their names (a handful).</li>
 *   <li>Three JVM binder meters fail {@code promtool check metrics}: two counters in ms and ns (dropped)
 *       and a gauge named {@code _count} (renamed {@code system_cpus}).</li>
 * </ul>
 */
public final class MetricsBounds {
  /** JVM binder counters in ms and ns, which promtool refuses; their rates are in process_cpu_usage and jvm_gc_*. */
  private static final Set<String> UNIT_NOT_SECONDS = Set.of("jvm.compilation.time", "process.cpu.time");

  private MetricsBounds() {
  }

  public static void apply(MeterRegistry registry) {
    registry.config()
        .meterFilter(MeterFilter.deny(id -> perOrigin(id) || UNIT_NOT_SECONDS.contains(id.getName())))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return "system.cpu.count".equals(id.getName()) ? id.withName("system.cpus") : id;
          }
        });
  }

  /** A meter of a per-origin HTTP client pool. */
  static boolean perOrigin(Meter.Id id) {
    String name = id.getName();
    return (name.startsWith("vertx_pool") || name.startsWith("vertx.pool")) && "http".equals(id.getTag("pool_type"));
  }
}
