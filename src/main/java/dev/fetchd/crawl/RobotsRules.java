package dev.fetchd.crawl;

import crawlercommons.robots.BaseRobotRules;
import crawlercommons.robots.SimpleRobotRules;
import crawlercommons.robots.SimpleRobotRulesParser;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The robots.txt rules of one origin (scheme, host, port) for this service's user agent, per RFC 9309, parsed by
 * crawler-commons' {@code SimpleRobotRulesParser}: groups selected by the product token of the user agent
 * (case-insensitive, exact; several matching groups are merged; else the {@code *} group; else allow all),
 * Allow/Disallow with {@code *} and {@code $}, the longest match wins and on a tie Allow wins, {@code /robots.txt}
 * itself is always allowed, {@code Crawl-delay} in seconds (fractions allowed).
 *
 * <p>What the caller decides from the fetch of {@code <origin>/robots.txt} (following redirects, at least five):
 * <ul>
 *   <li>2xx: {@link #parse} the body (only its first {@link #MAX_PARSE_BYTES} are read, RFC 9309 asks for at least
 *       500 KiB; fetch it with a byte limit of about that, or more: a larger file is fine, its tail is ignored);</li>
 *   <li>anything else: {@link #forStatus}: 4xx ("unavailable", e.g. 404, 410, 401, 403) gives {@link #allowAll()},
 *       too many redirects (3xx as final status) too (RFC 9309 section 2.3.1.2); 5xx and 429 ("unreachable")
 *       give {@link #disallowAll()};</li>
 *   <li>no answer at all (connect failure, reset, timeout, blocked address...): {@link #disallowAll()}.</li>
 * </ul>
 * A disallow-all for an unreachable robots.txt should be cached for a short time only ({@link RobotsCache} does it).
 *
 * <p>Crawl-delay: {@link #crawlDelayMs()} is the site's value as written, uncapped (crawler-commons would turn a delay
 * over 5 minutes into "disallow all"; this class does not): the caller caps it by its configuration.
 *
 * <p>Threading: {@link #parse} is CPU work linear in the body (about 1-20 ms for a few hundred KiB; microseconds for
 * ordinary files): run it on a worker. Instances are immutable once built and safe to share; {@link #allowed} is cheap
 * (linear in the number of rules times the path length): fine on the event loop.
 */
public final class RobotsRules {

  /** How many bytes of a robots.txt are parsed (512 KiB; RFC 9309 section 2.5 asks for at least 500 KiB). */
  public static final int MAX_PARSE_BYTES = 512 * 1024;

  /** Where the rules come from. */
  public enum Kind {
    /** A robots.txt that was fetched and parsed (its rules may still allow or disallow everything). */
    PARSED,
    /** No robots.txt ("unavailable": 4xx, too many redirects): everything is allowed. */
    ALLOW_ALL,
    /** robots.txt unreachable (5xx, 429, network error): complete disallow, for a while. */
    DISALLOW_ALL
  }

  /** RFC 9309 product token: letters, '_' and '-'. */
  private static final Pattern PRODUCT_TOKEN = Pattern.compile("^[A-Za-z_-]+");

  private static final RobotsRules ALLOW_ALL =
      new RobotsRules(new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_ALL), Kind.ALLOW_ALL);
  private static final RobotsRules DISALLOW_ALL =
      new RobotsRules(new SimpleRobotRules(SimpleRobotRules.RobotRulesMode.ALLOW_NONE), Kind.DISALLOW_ALL);

  private final BaseRobotRules rules;
  private final Kind kind;

  private RobotsRules(BaseRobotRules rules, Kind kind) {
    this.rules = rules;
    this.kind = kind;
  }

  /**
   * Parses a fetched robots.txt (a 2xx answer).
   *
   * @param body        the body as fetched (UTF-8 per RFC 9309; a BOM is honoured); null or empty means allow all
   * @param contentType its Content-Type, or null (an HTML page served instead of a robots.txt is recognised)
   * @param robotsUrl   the URL it was fetched from (for sitemaps and log lines only)
   * @param userAgent   the service's User-Agent header, e.g. {@code fetchd/0.1 (+https://github.com/fetchd/fetchd)};
   *                    its product token ({@code fetchd}) selects the group
   */
  public static RobotsRules parse(byte[] body, String contentType, String robotsUrl, String userAgent) {
    byte[] content = body == null ? new byte[0] : body;
    if (content.length > MAX_PARSE_BYTES) {
      int cut = MAX_PARSE_BYTES;
      while (cut > 0 && content[cut - 1] != '\n' && content[cut - 1] != '\r') {
        cut--;
      }
      content = Arrays.copyOf(content, cut == 0 ? MAX_PARSE_BYTES : cut);
    }
    SimpleRobotRulesParser parser = new SimpleRobotRulesParser(Long.MAX_VALUE, 1);
    String token = productToken(userAgent);
    List<String> names = token == null ? List.of() : List.of(token);
    SimpleRobotRules parsed = parser.parseContent(robotsUrl, content, contentType, names);
    return new RobotsRules(parsed, Kind.PARSED);
  }

  /** Rules for a robots.txt that is unavailable (4xx, too many redirects): everything allowed. */
  public static RobotsRules allowAll() {
    return ALLOW_ALL;
  }

  /** Rules for a robots.txt that is unreachable (5xx, 429, network error): nothing allowed (RFC 9309 2.3.1.3). */
  public static RobotsRules disallowAll() {
    return DISALLOW_ALL;
  }

  /**
   * Rules for a robots.txt fetch that ended with a non-2xx final status: 5xx and 429 give {@link #disallowAll()}; 4xx
   * and 3xx (redirects not followed to the end) give {@link #allowAll()}; other statuses (1xx) disallow.
   *
   * @throws IllegalArgumentException for a 2xx status: parse the body instead
   */
  public static RobotsRules forStatus(int status) {
    if (status >= 200 && status < 300) {
      throw new IllegalArgumentException("a " + status + " answer has a robots.txt to parse");
    }
    if (status == 429 || status >= 500) {
      return DISALLOW_ALL;
    }
    if (status >= 300 && status < 500) {
      return ALLOW_ALL;
    }
    return DISALLOW_ALL;
  }

  /**
   * Whether the rules allow fetching {@code url} (an absolute URL of the origin these rules came from; only its path
   * and query are looked at, after percent-encoding normalisation).
   */
  public boolean allowed(String url) {
    return rules.isAllowed(url);
  }

  /** The Crawl-delay for this agent in milliseconds, as written (not capped), or -1 when there is none. */
  public long crawlDelayMs() {
    long d = rules.getCrawlDelay();
    return d == BaseRobotRules.UNSET_CRAWL_DELAY || d < 0 ? -1 : d;
  }

  public Kind kind() {
    return kind;
  }

  /** True when these are the stand-in rules for an unreachable robots.txt (cache them briefly). */
  public boolean unreachable() {
    return kind == Kind.DISALLOW_ALL;
  }

  /** The Sitemap URLs the file lists (any group), as written. */
  public List<String> sitemaps() {
    return List.copyOf(rules.getSitemaps());
  }

  /**
   * The RFC 9309 product token of a User-Agent header, lowercase: {@code fetchd} for
   * {@code fetchd/0.1 (+https://github.com/fetchd/fetchd)}; null if it does not start with one.
   */
  public static String productToken(String userAgent) {
    if (userAgent == null) {
      return null;
    }
    Matcher m = PRODUCT_TOKEN.matcher(userAgent.trim());
    return m.find() ? m.group().toLowerCase(Locale.ROOT) : null;
  }

  @Override
  public String toString() {
    return "RobotsRules[" + kind + ", " + rules + "]";
  }
}
