package dev.fetchd.job;

import java.util.List;
import java.util.Map;

/**
 * A job as the client asked for it, validated, with every default resolved. {@code request} is
 * {@link RequestOptions#NONE} and {@code webhook} null when the job has none.
 */
public record JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                      Map<String, String> labels, RequestOptions request, Webhook webhook) {

  public JobSpec {
    urls = List.copyOf(urls);
    labels = Map.copyOf(labels);
    request = request == null ? RequestOptions.NONE : request;
  }

  /** A spec without request options or webhook. */
  public JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                 Map<String, String> labels) {
    this(type, urls, limits, crawl, priority, labels, RequestOptions.NONE, null);
  }

  /** A spec without a webhook. */
  public JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                 Map<String, String> labels, RequestOptions request) {
    this(type, urls, limits, crawl, priority, labels, request, null);
  }

  /** A spec without request options. */
  public JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                 Map<String, String> labels, Webhook webhook) {
    this(type, urls, limits, crawl, priority, labels, RequestOptions.NONE, webhook);
  }
}
