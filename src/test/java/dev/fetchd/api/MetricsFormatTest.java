package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
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
}
