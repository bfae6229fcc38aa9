package dev.fetchd.crawl;

import java.util.Locale;

/**
 * What {@link PageParser} made of a stored page: its links, or why it was not parsed. Plain immutable data.
 *
 * @param links   what was found (possibly {@link ExtractedLinks#NOT_HTML}); null when not parsed
 * @param reason  null when parsed, else why not
 * @param message a human explanation when not parsed, else null
 */
public record ParseOutcome(ExtractedLinks links, Reason reason, String message) {

  /** Why a page was stored but its links were not extracted. */
  public enum Reason {
    /** The page is larger than {@code crawl.maxParseBytes}: never read. */
    TOO_LARGE,
    /** The extraction failed (unreadable file, parser error, out of memory). */
    PARSE_FAILED;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public static ParseOutcome parsed(ExtractedLinks links) {
    return new ParseOutcome(links, null, null);
  }

  public static ParseOutcome notParsed(Reason reason, String message) {
    return new ParseOutcome(null, reason, message);
  }

  public boolean isParsed() {
    return reason == null;
  }
}
