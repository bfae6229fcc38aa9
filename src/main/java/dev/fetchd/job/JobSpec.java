package dev.fetchd.job;

import java.util.List;
import java.util.Map;

/**
 * A job as the client asked for it, validated, with every default resolved. {@code request} is
 * {@link RequestOptions#NONE} and {@code webhook} null when the job has none. {@code since} is the id of an earlier
 * job whose stored responses this one revalidates (a recrawl: conditional requests), or null.
 */
public record JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                      Map<String, String> labels, RequestOptions request, Webhook webhook, String since) {

  public JobSpec {
    urls = List.copyOf(urls);
    labels = Map.copyOf(labels);
    request = request == null ? RequestOptions.NONE : request;
  }

  /** A spec that revalidates no earlier job. */
  public JobSpec(JobType type, List<String> urls, Limits limits, CrawlOptions crawl, int priority,
                 Map<String, String> labels, RequestOptions request, Webhook webhook) {
    this(type, urls, limits, crawl, priority, labels, request, webhook, null);
  }

  /** The same spec revalidating {@code since} (an earlier job's id; null for none). */
  public JobSpec since(String since) {
    return new JobSpec(type, urls, limits, crawl, priority, labels, request, webhook, since);
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
