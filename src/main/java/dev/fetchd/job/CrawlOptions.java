package dev.fetchd.job;

import java.util.List;

/**
 * Options of a crawl job. {@code sitemaps}: also seed the crawl from the sitemaps of each seed's origin
 * (robots.txt {@code Sitemap:} lines, else {@code /sitemap.xml}).
 */
public record CrawlOptions(int maxDepth, int maxPages, Scope scope, List<String> include, List<String> exclude,
                           boolean assets, boolean robots, boolean sitemaps) {

  /** Without sitemaps (the default). */
  public CrawlOptions(int maxDepth, int maxPages, Scope scope, List<String> include, List<String> exclude,
                      boolean assets, boolean robots) {
    this(maxDepth, maxPages, scope, include, exclude, assets, robots, false);
  }

  /** Which discovered links a crawl may follow, relative to the seed that led to them. */
  public enum Scope {
    HOST, DOMAIN, ANY;

    public String wire() {
      return name().toLowerCase();
    }
  }
}
