package dev.fetchd.crawl;

import crawlercommons.domains.EffectiveTldFinder;
import dev.fetchd.job.CrawlOptions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which discovered URLs a crawl may follow: the scope relative to its seed(s), then the include and exclude
 * regexes.
 *
 * <ul>
 *   <li>{@code HOST}: the same host as a seed (exact, after normalisation: case-insensitive, punycode, no trailing
 *       dot) and the same port, where a scheme's default port counts as "no port": http://h/ and https://h/ go
 *       together (sites move between them), http://h:8080/ is another site.</li>
 *   <li>{@code DOMAIN}: the same registrable domain as a seed, by the public suffix list (crawler-commons, private
 *       section included: www.example.com ~ img.example.com, a.example.co.uk ~ b.example.co.uk, but
 *       alice.github.io is not bob.github.io). A host under no listed suffix (.test, .internal, localhost) uses the
 *       list's default rule: its last two labels. IP literals match exactly. Any port, any http(s) scheme.</li>
 *   <li>{@code ANY}: every http(s) URL.</li>
 * </ul>
 * Then {@code include} (if non-empty, at least one must match somewhere in the URL: {@code find()}, not
 * {@code matches()}) and {@code exclude} (none may match). The regexes are Java regexes, case-sensitive (use
 * {@code (?i)}), matched against the normalised URL ({@link UrlNormalizer}).
 *
 * <p>Against catastrophic regexes: patterns are at most {@link #MAX_PATTERN_LENGTH} characters, at most
 * {@link #MAX_PATTERNS} per list, URLs longer than {@link UrlNormalizer#MAX_LENGTH} are out of scope, and each match
 * may read at most {@link #MATCH_BUDGET} characters of its input (a backtracking blow-up stops there). A match that
 * runs out of budget counts against the URL: not included, or excluded.
 *
 * <p>Threading: immutable after construction and thread-safe. {@link #allows} is cheap (about 10 microseconds with a
 * few patterns; a pathological regex is cut off by the budget after a few milliseconds): fine on the event loop.
 * The first use of the public suffix list in the JVM loads it (~0.1-0.3 s, blocking): call {@link #warmUp()} on a
 * worker at start-up, or build the first DOMAIN scope on a worker. HOST and ANY scopes never touch the list.
 */
public final class CrawlScope {

  /** Longest accepted include/exclude pattern. */
  public static final int MAX_PATTERN_LENGTH = 1000;
  /** Most patterns accepted in one include or exclude list. */
  public static final int MAX_PATTERNS = 100;
  /** Characters one regex match may read before it is abandoned as catastrophic. */
  public static final int MATCH_BUDGET = 200_000;

  /** A bad pattern: {@code index} in its list, or -1 when the list as a whole is wrong (too many patterns). */
  public record PatternProblem(int index, String message) {
  }

  private final CrawlOptions.Scope scope;
  private final Set<String> hosts = new HashSet<>();    // HOST: "host" or "host:port" (non-default port)
  private final Set<String> domains = new HashSet<>();  // DOMAIN: registrable domains (or exact IP literals)
  private final List<Pattern> include;
  private final List<Pattern> exclude;

  /** A scope relative to one seed. */
  public CrawlScope(CrawlOptions.Scope scope, String seedUrl, List<String> include, List<String> exclude) {
    this(scope, List.of(seedUrl), include, exclude);
  }

  /**
   * A scope relative to several seeds: a URL is in scope if it is in the scope of any of them (one scope object for a
   * whole job; build one per seed instead if each seed must only lead to its own site). A seed that is not a usable
   * http(s) URL ({@link UrlNormalizer#parse} gives null) adds nothing to a HOST or DOMAIN scope (no exception: the
   * engine need not guard against it).
   *
   * @throws IllegalArgumentException if a pattern is invalid (validate input first with {@link #validatePatterns})
   */
  public CrawlScope(CrawlOptions.Scope scope, Collection<String> seedUrls, List<String> include, List<String> exclude) {
    this.scope = scope;
    for (String seed : seedUrls) {
      NormalizedUrl u = UrlNormalizer.parse(seed);
      if (u == null) {
        continue;
      }
      hosts.add(u.hostPort());
      if (scope == CrawlOptions.Scope.DOMAIN) {
        domains.add(registrableDomain(u.host()));
      }
    }
    this.include = compile(include, "include");
    this.exclude = compile(exclude, "exclude");
  }

  /** The scope of a crawl job: its options and its seeds. */
  public static CrawlScope of(CrawlOptions options, Collection<String> seedUrls) {
    return new CrawlScope(options.scope(), seedUrls, options.include(), options.exclude());
  }

  /** Whether a crawl may follow {@code url} (expected normalised; it is parsed again, unusable URLs are refused). */
  public boolean allows(String url) {
    NormalizedUrl u = UrlNormalizer.parse(url);
    if (u == null) {
      return false;
    }
    if (!inScope(u)) {
      return false;
    }
    return passesFilters(u.toString());
  }

  /** The scope part only (host/domain/any), without include/exclude. */
  public boolean inScope(NormalizedUrl u) {
    switch (scope) {
      case ANY:
        return true;
      case HOST:
        return hosts.contains(u.hostPort());
      case DOMAIN:
        return domains.contains(registrableDomain(u.host()));
      default:
        throw new IllegalStateException("unknown scope " + scope);
    }
  }

  /** The include/exclude part only, on a normalised URL. */
  public boolean passesFilters(String normalizedUrl) {
    if (normalizedUrl.length() > UrlNormalizer.MAX_LENGTH) {
      return false;
    }
    if (!include.isEmpty()) {
      boolean any = false;
      for (Pattern p : include) {
        if (find(p, normalizedUrl) == Boolean.TRUE) {
          any = true;
          break;
        }
      }
      if (!any) {
        return false;
      }
    }
    for (Pattern p : exclude) {
      if (find(p, normalizedUrl) != Boolean.FALSE) { // a match, or out of budget
        return false;
      }
    }
    return true;
  }

  public CrawlOptions.Scope scope() {
    return scope;
  }

  /**
   * Checks include or exclude patterns as a client sent them.
   *
   * @return the first problem, empty when all compile; a 400 answer names {@code /crawl/include/<index>} (or
   *     {@code /crawl/include} when the index is -1)
   */
  public static Optional<PatternProblem> validatePatterns(List<String> patterns) {
    if (patterns == null) {
      return Optional.empty();
    }
    if (patterns.size() > MAX_PATTERNS) {
      return Optional.of(new PatternProblem(-1, "holds " + patterns.size() + " patterns; at most " + MAX_PATTERNS
          + " are accepted"));
    }
    for (int i = 0; i < patterns.size(); i++) {
      String p = patterns.get(i);
      if (p == null) {
        return Optional.of(new PatternProblem(i, "must be a string (a regular expression)"));
      }
      if (p.length() > MAX_PATTERN_LENGTH) {
        return Optional.of(new PatternProblem(i, "is " + p.length() + " characters long; at most "
            + MAX_PATTERN_LENGTH + " are accepted"));
      }
      try {
        Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        return Optional.of(new PatternProblem(i, "is not a valid regular expression: " + e.getDescription()
            + (e.getIndex() >= 0 ? " at index " + e.getIndex() : "")));
      }
    }
    return Optional.empty();
  }

  /**
   * The registrable domain of a normalised host (public suffix list, private section included), or the host itself
   * for IP literals and for a host that is itself a public suffix. Hosts under no listed suffix use the last two
   * labels (the list's default rule {@code *}).
   */
  public static String registrableDomain(String host) {
    if (host.startsWith("[") || isIpv4(host)) {
      return host;
    }
    Psl.load();
    EffectiveTldFinder.EffectiveTLD etld = EffectiveTldFinder.getEffectiveTLD(host, false);
    if (etld == null) {
      int last = host.lastIndexOf('.');
      if (last < 0) {
        return host;
      }
      int prev = host.lastIndexOf('.', last - 1);
      return prev < 0 ? host : host.substring(prev + 1);
    }
    return EffectiveTldFinder.getAssignedDomain(host, false, false);
  }

  /** Loads the public suffix list now (blocking, ~0.1-0.3 s the first time in a JVM): call it on a worker. */
  public static void warmUp() {
    registrableDomain("www.example.co.uk");
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static List<Pattern> compile(List<String> patterns, String what) {
    if (patterns == null || patterns.isEmpty()) {
      return List.of();
    }
    Optional<PatternProblem> problem = validatePatterns(patterns);
    if (problem.isPresent()) {
      throw new IllegalArgumentException(what + "/" + problem.get().index() + " " + problem.get().message());
    }
    List<Pattern> out = new ArrayList<>(patterns.size());
    for (String p : patterns) {
      out.add(Pattern.compile(p));
    }
    return List.copyOf(out);
  }

  /** TRUE/FALSE, or null if the match ran out of budget. */
  private static Boolean find(Pattern p, String s) {
    BudgetedChars chars = new BudgetedChars(s, MATCH_BUDGET);
    try {
      Matcher m = p.matcher(chars);
      return m.find();
    } catch (BudgetExceeded e) {
      return null;
    }
  }

  /**
   * Loads crawler-commons' public suffix list once, under the JVM's class-initialisation lock: its own lazy singleton
   * is not safe to publish across threads, this makes every later reader see it complete.
   */
  private static final class Psl {
    static final EffectiveTldFinder INSTANCE = EffectiveTldFinder.getInstance();

    static void load() {
      if (!INSTANCE.isConfigured()) {
        throw new IllegalStateException("the public suffix list of crawler-commons did not load");
      }
    }
  }

  private static boolean isIpv4(String host) {
    int dots = 0;
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (c == '.') {
        dots++;
      } else if (c < '0' || c > '9') {
        return false;
      }
    }
    return dots == 3;
  }

  private static final class BudgetExceeded extends RuntimeException {
    BudgetExceeded() {
      super(null, null, false, false);
    }
  }

  /** A CharSequence that gives up after {@code budget} reads: the cheap guard against catastrophic backtracking. */
  private static final class BudgetedChars implements CharSequence {
    private final String s;
    private final int[] left;
    private final int start;
    private final int end;

    BudgetedChars(String s, int budget) {
      this(s, new int[] {budget}, 0, s.length());
    }

    private BudgetedChars(String s, int[] left, int start, int end) {
      this.s = s;
      this.left = left;
      this.start = start;
      this.end = end;
    }

    @Override
    public int length() {
      return end - start;
    }

    @Override
    public char charAt(int index) {
      if (--left[0] < 0) {
        throw new BudgetExceeded();
      }
      return s.charAt(start + index);
    }

    @Override
    public CharSequence subSequence(int from, int to) {
      return new BudgetedChars(s, left, start + from, start + to);
    }

    @Override
    public String toString() {
      return s.substring(start, end);
    }
  }
}
