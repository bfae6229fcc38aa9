package dev.fetchd.crawl;

import dev.fetchd.config.FetchdConfig;
import dev.fetchd.metrics.FetchdMetrics;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Extracts the links of stored crawl pages within a memory budget. Each parse takes its estimated peak heap
 * ({@link #cost}) from a {@link ParseBudget} before it starts, and waits, without blocking anyone, while the budget
 * is spent; it then runs on a fixed pool of worker threads of its own, so that parsing never takes the threads that
 * file moves and hashing need. A page over {@code crawl.maxParseBytes} is not read at all.
 *
 * <p>Never fails: every outcome, an unreadable file or a parser error included, is a {@link ParseOutcome} the caller
 * can report on the page's item. An {@link OutOfMemoryError} in a parse is caught and reported too (the budget is
 * there so that it does not happen; under {@code -XX:+ExitOnOutOfMemoryError} nothing could catch it).
 *
 * <p>Call {@link #parse} on the event loop that created this parser: the budget is confined to it.
 */
public final class PageParser {

  /**
   * Peak heap of {@link LinkExtractor} per byte of page, beyond the URLs it keeps: none. It keeps no text and no
   * tree, and no attribute value longer than {@link TagScanner#MAX_VALUE_BYTES}. Measured as the smallest {@code -Xmx}
   * (SerialGC) that parses a 9.4 MB page: one 9.4 MB href, one text run, a srcset of 3.1M CJK characters, 150
   * 60 KB hrefs of {@code &amp;}, and a UTF-16 page of one 4.7M-character href all parse in 6 MB, as an empty page
   * does. (jsoup's tree builder, used before, needed up to 7.9 bytes per byte.)
   */
  public static final int HEAP_PER_BYTE = 0;
  /** Heap of one parse whatever the page: stream and scan buffers, the longest value kept and its decoded copies. */
  public static final long FIXED_BYTES = 2L << 20;

  private final WorkerExecutor workers;
  private final ParseBudget budget;
  private final long maxParseBytes;
  private final Map<ParseOutcome.Reason, Counter> notParsed = new ConcurrentHashMap<>();
  private final FetchdMetrics metrics;

  /**
   * A parser as the config says: 0 threads is one per core; 0 bytes is a quarter of the heap, so that one page at
   * the default cap (8 MiB, a cost of ~77 MB) fits the budget of a 512 MB heap (the image's) with room to spare.
   */
  public static PageParser create(Vertx vertx, FetchdConfig config, FetchdMetrics metrics) {
    int threads = config.crawlParseThreads() > 0 ? config.crawlParseThreads()
        : Runtime.getRuntime().availableProcessors();
    long memory = config.crawlParseMemoryBytes() > 0 ? config.crawlParseMemoryBytes()
        : Runtime.getRuntime().maxMemory() / 4;
    return new PageParser(vertx, memory, config.crawlMaxParseBytes(), threads, metrics);
  }

  /**
   * @param memoryBytes   the budget: heap that parses may hold at once
   * @param maxParseBytes larger pages are not parsed
   * @param threads       size of the parse worker pool
   * @param metrics       where the budget's gauges go; null for none
   */
  public PageParser(Vertx vertx, long memoryBytes, long maxParseBytes, int threads, FetchdMetrics metrics) {
    this.budget = new ParseBudget(memoryBytes);
    this.maxParseBytes = maxParseBytes;
    this.metrics = metrics;
    // a parse of the largest page takes about a second of CPU; a warning beyond two minutes means a stuck thread
    this.workers = vertx.createSharedWorkerExecutor("fetchd-parse", Math.max(1, threads), 2, TimeUnit.MINUTES);
    if (metrics != null) {
      metrics.gauge("fetchd.parse.memory.bytes.in.use", "Heap taken from the page parse budget now",
          budget::inUse);
      metrics.gauge("fetchd.parse.memory.bytes.limit", "The page parse budget (crawl.parseMemoryBytes)",
          budget::limit);
      metrics.gauge("fetchd.parse.waiters", "Page parses waiting for the parse budget", budget::waiters);
      for (ParseOutcome.Reason r : ParseOutcome.Reason.values()) {
        counter(r);
      }
    }
  }

  /**
   * The heap a parse of a page of {@code sizeBytes} may take at its peak: see {@link #HEAP_PER_BYTE}; the URLs kept
   * are bounded by {@link LinkExtractor#linkBytes}.
   */
  public static long cost(long sizeBytes, int maxLinks) {
    return FIXED_BYTES + HEAP_PER_BYTE * sizeBytes + LinkExtractor.linkBytes(sizeBytes, maxLinks);
  }

  /**
   * The links of a stored page, or why it was not parsed. {@code sizeBytes} is the stored size: the cost is taken
   * for it and no more than that is read.
   */
  public Future<ParseOutcome> parse(Path file, String contentType, String baseUrl, int maxLinks, long sizeBytes) {
    return parse(file, contentType, baseUrl, maxLinks, sizeBytes, UnaryOperator.identity());
  }

  /**
   * As {@link #parse(Path, String, String, int, long)}, with {@code then} applied to the links on the worker, within
   * the parse's budget (the crawl's scope filter: client regexes do not belong on the event loop).
   */
  public Future<ParseOutcome> parse(Path file, String contentType, String baseUrl, int maxLinks, long sizeBytes,
                                    UnaryOperator<ExtractedLinks> then) {
    if (sizeBytes > maxParseBytes) {
      return Future.succeededFuture(notParsed(ParseOutcome.Reason.TOO_LARGE, "page of " + sizeBytes
          + " bytes is larger than crawl.maxParseBytes (" + maxParseBytes + "): stored, links not extracted"));
    }
    if (contentType != null && !contentType.isBlank() && !LinkExtractor.isHtml(contentType)) {
      return Future.succeededFuture(ParseOutcome.parsed(ExtractedLinks.NOT_HTML));
    }
    long size = Math.max(0, sizeBytes);
    return budget.acquire(cost(size, maxLinks)).compose(granted -> workers.<ParseOutcome>executeBlocking(() -> {
      try (InputStream in = Files.newInputStream(file)) {
        ExtractedLinks links = LinkExtractor.extract(in, contentType, baseUrl, maxLinks, Math.min(maxParseBytes,
            Math.max(size, 1)), LinkExtractor.linkBytes(size, maxLinks));
        return ParseOutcome.parsed(then.apply(links));
      } catch (OutOfMemoryError e) {
        return notParsed(ParseOutcome.Reason.PARSE_FAILED, "out of memory while parsing a page of " + size + " bytes");
      } catch (Exception | StackOverflowError e) {
        return notParsed(ParseOutcome.Reason.PARSE_FAILED, "link extraction failed: " + e);
      }
    }, false).recover(err -> Future.succeededFuture(notParsed(ParseOutcome.Reason.PARSE_FAILED,
        "link extraction failed: " + err))).onComplete(x -> budget.release(granted)));
  }

  /** The budget (read-outs for metrics and tests). */
  public ParseBudget budget() {
    return budget;
  }

  private ParseOutcome notParsed(ParseOutcome.Reason reason, String message) {
    if (metrics != null) {
      counter(reason).increment();
    }
    return ParseOutcome.notParsed(reason, message);
  }

  private Counter counter(ParseOutcome.Reason reason) {
    return notParsed.computeIfAbsent(reason, r -> Counter.builder("fetchd.parse.not.parsed")
        .description("Crawl pages stored but not parsed, by reason").tag("reason", r.wire())
        .register(metrics.registry()));
  }
}
