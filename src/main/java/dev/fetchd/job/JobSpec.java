package dev.fetchd.job;

import java.util.List;
import java.util.Map;

/** A job as the client asked for it, validated, with every default resolved. */
public record JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                      Map<String, String> labels, RequestOptions request) {

  public JobSpec {
    urls = List.copyOf(urls);
    labels = Map.copyOf(labels);
    request = request == null ? RequestOptions.NONE : request;
  }

  /** A spec without request options. */
  public JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                 Map<String, String> labels) {
    this(type, urls, limits, crawl, priority, labels, RequestOptions.NONE);
  }
}
