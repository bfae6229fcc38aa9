package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GET /metrics answers OpenMetrics to a scraper that asks for it, and the Prometheus text format otherwise. */
class MetricsFormatTest {

  @Test
  void metricsAnswerOpenMetricsWhenTheAcceptHeaderAsksForIt() {
    try (RunningService fetchd = RunningService.start()) {
      // the Accept header Prometheus sends by default
      RunningService.Response om = fetchd.get("/metrics", "Accept",
          "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
      assertThat(om.status()).isEqualTo(200);
      assertThat(om.header("Content-Type")).startsWith("application/openmetrics-text; version=1.0.0");
      assertThat(om.body()).contains("# TYPE fetchd_jobs_rejected counter").endsWith("# EOF\n");

      RunningService.Response text = fetchd.get("/metrics", "Accept", "text/plain");
      assertThat(text.header("Content-Type")).startsWith("text/plain; version=0.0.4");
      assertThat(text.body()).contains("# TYPE fetchd_jobs_rejected_total counter").doesNotContain("# EOF");
      assertThat(fetchd.get("/metrics").header("Content-Type")).startsWith("text/plain; version=0.0.4");
    }
  }

  /** The Accept header's q values decide: q=0 is "not acceptable", the higher q wins, a tie goes to OpenMetrics. */
  @Test
  void theAcceptHeadersQualitiesChooseTheFormat() {
    String om = "application/openmetrics-text";
    String text = "text/plain";
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("application/openmetrics-text;version=1.0.0;q=0,text/plain;version=0.0.4", text);
    cases.put("application/openmetrics-text; q=0", text);
    cases.put("application/openmetrics-text;q=0.0, */*", text);
    cases.put("application/openmetrics-text;q=0.4,text/plain;q=0.5", text);
    cases.put("text/plain;q=0.4,application/openmetrics-text;q=0.5", om);
    cases.put("text/plain, application/openmetrics-text", om);
    cases.put("text/plain;q=0.7, application/openmetrics-text;version=1.0.0;q=0.7", om);
    // the same type twice, with other parameters: the higher q counts
    cases.put("application/openmetrics-text;version=0.0.1;q=0,application/openmetrics-text;version=1.0.0;q=0.8,"
        + "text/plain;q=0.5", om);
    cases.put("APPLICATION/OpenMetrics-Text;Q=0.9, text/plain;q=0.1", om);
    // the most specific range decides: text/plain;q=0 beats */*
    cases.put("text/plain;q=0, */*;q=0.5", om);
    cases.put("application/*", om);
    cases.put("*/*", text);
    cases.put("application/json", text);
    cases.put("application/openmetrics-text;q=bad, text/plain;q=0.1", text);
    try (RunningService fetchd = RunningService.start()) {
      cases.forEach((accept, expected) -> assertThat(fetchd.get("/metrics", "Accept", accept).header("Content-Type"))
          .as("Accept: %s", accept).startsWith(expected));
    }
  }
}
