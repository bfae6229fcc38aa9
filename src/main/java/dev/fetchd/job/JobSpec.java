package dev.fetchd.job;

import java.util.List;
import java.util.Map;

/** A job as the client asked for it, validated, with every default resolved. */
public record JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                      Map<String, String> labels) {

  public JobSpec {
    urls = List.copyOf(urls);
    labels = Map.copyOf(labels);
  }
}
