package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PageParserTest {
  private static final String PAGE = "http://example.com/dir/page.html";

  private Vertx vertx;
  private Context loop;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    loop = vertx.getOrCreateContext();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Runs a call on the parser's event loop (the budget is confined to it) and waits for its outcome. */
  private <T> T onLoop(Supplier<Future<T>> call) throws Exception {
    return Future.<T>future(p -> loop.runOnContext(v -> call.get().onComplete(p)))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void aPageOverTheSizeCapIsReportedTooLargeWithoutBeingRead(@TempDir Path dir) throws Exception {
    PageParser parser = new PageParser(vertx, 64L << 20, 1024, 1, null);
    // the file does not exist: any attempt to read it would be a parse_failed, not too_large
    Path missing = dir.resolve("never-written.html");
    ParseOutcome out = onLoop(() -> parser.parse(missing, "text/html", PAGE, 100, 1025));
    assertThat(out.isParsed()).isFalse();
    assertThat(out.reason()).isEqualTo(ParseOutcome.Reason.TOO_LARGE);
    assertThat(out.reason().wire()).isEqualTo("too_large");
    assertThat(out.message()).contains("1025").contains("crawl.maxParseBytes");
    assertThat(parser.budget().inUse()).isZero();
    assertThat(Files.exists(missing)).isFalse();
  }

  @Test
  void aPageAtTheCapIsParsedAndItsBudgetGivenBack(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("page.html");
    Files.writeString(file, "<base href=\"/base/\"><a href=\"x.html\">x</a><img srcset=\"a.png 1x, b.png 2x\">");
    long size = Files.size(file);
    PageParser parser = new PageParser(vertx, 64L << 20, size, 1, null);
    ParseOutcome out = onLoop(() -> parser.parse(file, "text/html", PAGE, 100, size));
    assertThat(out.isParsed()).isTrue();
    assertThat(out.links().pages()).containsExactly("http://example.com/base/x.html");
    assertThat(out.links().assets()).containsExactly("http://example.com/base/a.png", "http://example.com/base/b.png");
    assertThat(parser.budget().inUse()).isZero();
  }

  @Test
  void anUnreadablePageIsReportedParseFailedNotLost(@TempDir Path dir) throws Exception {
    PageParser parser = new PageParser(vertx, 64L << 20, 1 << 20, 1, null);
    ParseOutcome out = onLoop(() -> parser.parse(dir.resolve("gone.html"), "text/html", PAGE, 100, 10));
    assertThat(out.reason()).isEqualTo(ParseOutcome.Reason.PARSE_FAILED);
    assertThat(out.message()).contains("gone.html");
    assertThat(parser.budget().inUse()).as("released on failure too").isZero();
  }

  @Test
  void aFailureInTheWorkerStepIsAnOutcomeAndReleasesTheBudget(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("page.html");
    Files.writeString(file, "<a href=\"x.html\">x</a>");
    long size = Files.size(file);
    PageParser parser = new PageParser(vertx, 64L << 20, 1 << 20, 1, null);
    ParseOutcome out = onLoop(() -> parser.parse(file, "text/html", PAGE, 100, size, links -> {
      throw new OutOfMemoryError("simulated");
    }));
    assertThat(out.reason()).isEqualTo(ParseOutcome.Reason.PARSE_FAILED);
    assertThat(out.message()).contains("out of memory");
    assertThat(parser.budget().inUse()).isZero();
  }

  @Test
  void parsesBeyondTheBudgetWaitAndAllFinish(@TempDir Path dir) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      sb.append("<a href=\"/p/").append(i).append("\">p</a>");
    }
    Path file = dir.resolve("page.html");
    Files.writeString(file, sb, StandardCharsets.UTF_8);
    long size = Files.size(file);
    // room for one parse at a time, with four threads: the budget, not the pool, decides
    PageParser parser = new PageParser(vertx, PageParser.cost(size, 5000), 1 << 20, 4, null);
    // how many parses are inside the budget at once, seen from the workers (a parse now takes well under a
    // millisecond, so it may end before the loop has even queued the next: count, do not race)
    java.util.concurrent.atomic.AtomicInteger inside = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
    java.util.function.UnaryOperator<ExtractedLinks> hold = links -> {
      most.accumulateAndGet(inside.incrementAndGet(), Math::max);
      try {
        Thread.sleep(20); // long enough for the four threads to overlap if the budget let them
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      inside.decrementAndGet();
      return links;
    };
    List<ParseOutcome> outs = onLoop(() -> {
      List<Future<ParseOutcome>> all = List.of(
          parser.parse(file, "text/html", PAGE, 5000, size, hold), parser.parse(file, "text/html", PAGE, 5000, size, hold),
          parser.parse(file, "text/html", PAGE, 5000, size, hold), parser.parse(file, "text/html", PAGE, 5000, size, hold));
      return Future.all(all).map(cf -> cf.<ParseOutcome>list());
    });
    assertThat(most.get()).as("one parse at a time: the budget, not the four threads, decides").isEqualTo(1);
    assertThat(outs).allSatisfy(o -> assertThat(o.links().pages()).hasSize(2000));
    assertThat(parser.budget().inUse()).isZero();
    assertThat(parser.budget().waiters()).isZero();
  }

  @Test
  void otherContentTypesTakeNoBudgetAndGiveNoLinks(@TempDir Path dir) throws Exception {
    PageParser parser = new PageParser(vertx, 1, 1 << 20, 1, null);
    ParseOutcome out = onLoop(() -> parser.parse(dir.resolve("img.png"), "image/png", PAGE, 100, 10));
    assertThat(out.isParsed()).isTrue();
    assertThat(out.links()).isEqualTo(ExtractedLinks.NOT_HTML);
  }

  @Test
  void theCostCoversTheMeasuredWorstCaseAndTheUrlsKept() {
    long page = 8L << 20;
    assertThat(PageParser.cost(page, 5000)).as("the page's own size costs nothing: no tree, no text")
        .isEqualTo(PageParser.FIXED_BYTES + 3L * 5000 * 512);
    assertThat(PageParser.cost(10_000, 5000)).as("a small page costs little")
        .isLessThan(PageParser.FIXED_BYTES + 300_000);
  }
}
