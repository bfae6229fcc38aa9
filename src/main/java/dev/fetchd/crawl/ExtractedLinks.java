package dev.fetchd.crawl;

import java.util.List;

/**
 * What {@link LinkExtractor} found on one page. Plain immutable data.
 *
 * @param pages     links to follow as pages, normalised, deduplicated, in document order: {@code a[href]},
 *                  {@code area[href]}, {@code iframe[src]}, {@code frame[src]}, {@code meta http-equiv=refresh};
 *                  without {@code rel=nofollow} links; empty when the page says {@code <meta name=robots
 *                  content=nofollow>} (or {@code none})
 * @param assets    assets of the page, normalised, deduplicated: images first (in document order), then audio/video
 * @param html      whether the body was taken as HTML and parsed (false: not HTML, nothing extracted)
 * @param nofollow  the page has {@code <meta name=robots content=nofollow>} or {@code none}
 * @param noindex   the page has {@code <meta name=robots content=noindex>} or {@code none} (a flag only)
 * @param truncated some distinct links were left out because a list reached {@code maxLinks} or the heap allowed for
 *                  the URLs kept ({@link LinkExtractor#linkBytes}), or the body was cut at its byte limit, or nesting
 *                  deeper than 2048 elements ended the parse
 */
public record ExtractedLinks(List<String> pages, List<String> assets, boolean html, boolean nofollow, boolean noindex,
                             boolean truncated) {

  /** Nothing found, not HTML. */
  public static final ExtractedLinks NOT_HTML = new ExtractedLinks(List.of(), List.of(), false, false, false, false);

  public ExtractedLinks {
    pages = List.copyOf(pages);
    assets = List.copyOf(assets);
  }
}
