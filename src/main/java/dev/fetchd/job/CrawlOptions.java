package dev.fetchd.job;

import java.util.List;

/** Options of a crawl job. */
public record CrawlOptions(int maxDepth, int maxPages, Scope scope, List<String> include, List<String> exclude,
                           boolean assets, boolean robots) {

  /** Which discovered links a crawl may follow, relative to the seed that led to them. */
  public enum Scope {
    HOST, DOMAIN, ANY;

    public String wire() {
      return name().toLowerCase();
    }
  }
}
