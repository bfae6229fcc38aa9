package dev.fetchd.engine;

import dev.fetchd.crawl.CrawlScope;
import dev.fetchd.crawl.CredentialScope;
import dev.fetchd.crawl.ExtractedLinks;
import dev.fetchd.crawl.UrlNormalizer;
import dev.fetchd.job.CrawlOptions;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a crawl job may still fetch: every URL it has seen (normalised, so each page is fetched once), its
 * scope, and its budgets. {@code maxPages} is a hard limit on page fetches: a page item is created only
 * while fewer than {@code maxPages} pages are counted, and a page skipped by robots.txt gives its place
 * back. Items in all are capped too, so one page full of links cannot grow a job without bound.
 */
final class CrawlFrontier {
  private final String jobId;
  private final CrawlOptions options;
  private final CrawlScope scope;
  private final CredentialScope credentials;
  private final int maxItems;
  private final Set<String> seen = new HashSet<>();
  private int pages;
  private int nextIndex;

  CrawlFrontier(String jobId, CrawlOptions options, List<Item> existing, int maxItems) {
    this.jobId = jobId;
    this.options = options;
    this.maxItems = maxItems;
    List<String> seeds = new ArrayList<>();
    for (Item item : existing) {
      String n = UrlNormalizer.normalize(item.url());
      seen.add(n != null ? n : item.url());
      if (item.depth() == 0) {
        seeds.add(n != null ? n : item.url());
      }
      if (item.kind() == ItemKind.PAGE) {
        pages++;
      }
    }
    this.nextIndex = existing.size();
    this.scope = CrawlScope.of(options, seeds);
    this.credentials = new CredentialScope(options.scope(), seeds);
  }

  /** Whether {@code url} is within the crawl's scope (host, domain or any; include/exclude aside). */
  boolean inScope(dev.fetchd.crawl.NormalizedUrl url) {
    return scope.inScope(url);
  }

  /** Whether the job's credentials may go to {@code url}: see {@link CredentialScope}. */
  boolean takesCredentials(dev.fetchd.crawl.NormalizedUrl url) {
    return credentials.allows(url);
  }

  /** Whether links of a page at {@code depth} are worth extracting at all. */
  boolean expands(Item page) {
    return page.kind() == ItemKind.PAGE && (page.depth() < options.maxDepth() || options.assets());
  }

  /** A page was skipped (robots.txt): it was never fetched, so it does not count. */
  void pageSkipped() {
    pages--;
  }

  /**
   * Keeps the links in scope. Runs on a worker, with the extraction: include/exclude are the client's
   * regular expressions, and thousands of links times a bad pattern must not stall the event loop. Reads
   * only the immutable scope, so it is safe off the loop.
   */
  ExtractedLinks inScope(ExtractedLinks links) {
    return new ExtractedLinks(links.pages().stream().filter(scope::allows).toList(),
        links.assets().stream().filter(scope::allows).toList(), links.html(), links.nofollow(), links.noindex(),
        links.truncated());
  }

  /** The new items for what a page links to (already filtered by {@link #inScope}): unseen, within budgets. */
  List<Item> accept(Item page, String pageUrl, ExtractedLinks links) {
    List<Item> out = new ArrayList<>();
    if (options.assets()) {
      for (String url : links.assets()) {
        if (nextIndex >= maxItems) {
          break;
        }
        if (seen.add(url)) {
          out.add(new Item(jobId, nextIndex++, ItemKind.ASSET, url, page.depth() + 1, pageUrl));
        }
      }
    }
    if (page.depth() < options.maxDepth()) {
      for (String url : links.pages()) {
        if (pages >= options.maxPages() || nextIndex >= maxItems) {
          break;
        }
        if (seen.add(url)) {
          pages++;
          out.add(new Item(jobId, nextIndex++, ItemKind.PAGE, url, page.depth() + 1, pageUrl));
        }
      }
    }
    return out;
  }

  /**
   * Whether a normalised URL passes scope and include/exclude. Reads only the immutable scope: safe on a worker,
   * where it belongs (client regular expressions).
   */
  boolean allows(String url) {
    return scope.allows(url);
  }

  /**
   * The new page items for URLs read from sitemaps (already filtered by {@link #allows}): unseen, within
   * {@code maxPages} and the item cap, like links. They are depth 1, one step from the seed whose origin
   * named the sitemap, so their links are followed while {@code maxDepth} allows; they are admitted even
   * with {@code maxDepth} 0, since the client asked for the sitemaps.
   */
  List<Item> acceptSitemap(List<SitemapSeeder.Found> found) {
    List<Item> out = new ArrayList<>();
    for (SitemapSeeder.Found f : found) {
      if (pages >= options.maxPages() || nextIndex >= maxItems) {
        break;
      }
      if (seen.add(f.url())) {
        pages++;
        out.add(new Item(jobId, nextIndex++, ItemKind.PAGE, f.url(), 1, f.sitemap()).via(Item.VIA_SITEMAP));
      }
    }
    return out;
  }

  /** A page's final URL after redirects counts as seen: a later link to it is not fetched again. */
  void seenAs(String finalUrl) {
    String n = finalUrl == null ? null : UrlNormalizer.normalize(finalUrl);
    if (n != null) {
      seen.add(n);
    }
  }
}
