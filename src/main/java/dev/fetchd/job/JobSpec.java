package dev.fetchd.job;

import java.util.List;
import java.util.Map;

/**
 * A job as the client asked for it, validated, with every default resolved. {@code webhook} is null when the
 * job has none.
 */
public record JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                      Map<String, String> labels, Webhook webhook) {

  public JobSpec {
    urls = List.copyOf(urls);
    labels = Map.copyOf(labels);
  }

  /** A spec without a webhook. */
  public JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                 Map<String, String> labels) {
    this(type, urls, limits, crawl, priority, labels, null);
  }
}
