package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's headless Chromium through its chromedriver, both given by path so
 * Selenium never downloads anything) against a real fetchd and a real target. Skipped where Chromium is not
 * installed. Every wait is an explicit wait on what the page shows.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardTest {
  static final File CHROMIUM = new File("/usr/bin/chromium");
  static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  static final Duration WAIT = Duration.ofSeconds(30);
  /** Where the run leaves its screenshots (docs/ holds the committed copies). */
  static final Path SHOTS = Path.of("target", "dashboard-screenshots");
  static final String TOKEN = "dashboard-token-0123456789";

  private ChromeDriverService service;
  private WebDriver browser;
  private TargetServer target;
  private RunningService fetchd;
  /** Requests to /held wait here until the test answers them: items that end when the test says. */
  private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();

  @BeforeAll
  void startBrowser() throws java.io.IOException {
    Assumptions.assumeTrue(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
        "dashboard browser tests need Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)");
    service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(nicedChromium());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--window-size=1280,900",
        // no animated bar widths: less rendering work beside the service under test
        "--force-prefers-reduced-motion");
    browser = new ChromeDriver(service, options);
    target = TargetServer.start();
    target.route("/held", held::add);
    // room for the six held jobs of the jobs list's stream test to run, and wait at the target, at once
    fetchd = RunningService.start(Map.of("maxRunningJobs", 8, "limits.perHostConcurrency", 8));
  }

  /**
   * Chromium behind a script that lowers its CPU priority: on a small machine the browser's rendering
   * would otherwise starve fetchd's event loop, and the blocked-thread check would report the browser.
   */
  private static File nicedChromium() throws java.io.IOException {
    Path script = Files.createTempFile("chromium-niced", ".sh");
    Files.writeString(script, "#!/bin/sh\nexec nice -n 15 " + CHROMIUM.getPath() + " \"$@\"\n");
    script.toFile().setExecutable(true);
    script.toFile().deleteOnExit();
    return script.toFile();
  }

  @AfterAll
  void stopBrowser() {
    try {
      if (browser != null) {
        browser.quit();
      }
      if (service != null) {
        service.stop();
      }
    } finally {
      if (fetchd != null) {
        fetchd.close();
      }
      if (target != null) {
        target.close();
      }
    }
  }

  private WebDriverWait waiting() {
    // rows and badges are redrawn as events arrive: an element found a moment ago may be gone
    return (WebDriverWait) new WebDriverWait(browser, WAIT).ignoring(StaleElementReferenceException.class);
  }

  /**
   * Loads the page afresh at this view. Going to the URL the browser is at already would change nothing (no
   * hashchange): a form left filled in, or with its errors, by the test before would still be there.
   */
  private void open(RunningService service, String hash) {
    browser.get("about:blank");
    browser.get(service.baseUrl() + "/ui/" + hash);
  }

  private String badge() {
    return browser.findElement(By.cssSelector("#job-state .badge")).getText();
  }

  /** A running job of two items held at the target ({@code /held?job=NAME&n=0}, then n=1), one at a time. */
  private String heldJob(String name) {
    String id = fetchd.submitDownload(List.of(target.url("/held?job=" + name + "&n=0"), target.url("/held?job=" + name + "&n=1")),
        // no request timeout while the test holds them: a job ending by itself would free a stream
        new JsonObject().put("concurrency", 1).put("retries", 0).put("requestTimeoutMs", 600_000)).getString("id");
    RunningService.await("job " + name + " running", WAIT, () -> fetchd.get("/jobs/" + id).json().getString("state").equals("running"));
    return id;
  }

  /** Answers the held request with this query once it has arrived: its item succeeds. */
  private void answerHeld(String query) {
    RunningService.await("a held request ?" + query, WAIT, () -> held.stream().anyMatch(r -> query.equals(r.query())));
    HttpServerRequest r = held.stream().filter(q -> query.equals(q.query())).findFirst().orElseThrow();
    held.remove(r);
    r.response().end("held body");
  }

  private String quickJob(String name) {
    return fetchd.submitDownload(List.of(target.url("/bytes/" + name + "?size=10")), null).getString("id");
  }

  private By jobRow(String id) {
    return By.cssSelector("tr[data-job='" + id + "']");
  }

  private String rowPercent(String id) {
    return browser.findElement(jobRow(id)).findElement(By.cssSelector(".bar")).getAttribute("data-percent");
  }

  /**
   * The state badges of the jobs list, read in one script (as {@link #listedJobs} is): the rows are redrawn as the
   * page re-reads, and an element found a moment before may be gone when its text is asked for.
   */
  @SuppressWarnings("unchecked")
  private List<String> badgeTexts() {
    return (List<String>) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll('table.jobs tbody .badge')].map((b) => b.textContent.trim());");
  }

  @SuppressWarnings("unchecked")
  private List<String> listedJobs() {
    return (List<String>) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
        "return [...document.querySelectorAll('table.jobs tbody tr')].map((tr) => tr.dataset.job);");
  }

  private List<String> apiJobIds(String query) {
    return fetchd.get("/jobs?" + query).json().getJsonArray("jobs").stream().map(j -> ((JsonObject) j).getString("id")).toList();
  }

  /** A small site: an index linking to slow pages and to a page that answers 404. */
  private String site(String prefix) {
    StringBuilder index = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      index.append("<a href='").append(prefix).append("/p").append(i).append("?delay=150'>p").append(i).append("</a> ");
      target.html(prefix + "/p" + i, "<p>page " + i + "</p>");
    }
    index.append("<a href='/status/404'>gone</a>");
    target.html(prefix + "/index", index.toString());
    return target.url(prefix + "/index");
  }

  @Test
  void aCrawlSubmittedThroughTheFormReaches100PercentAndShowsItsFailedItem() {
    String seed = site("/crawl");
    open(fetchd, "#/submit");
    waiting().until(ExpectedConditions.elementToBeClickable(By.id("type-crawl"))).click();
    browser.findElement(By.id("urls")).sendKeys(seed);
    browser.findElement(By.id("crawl-maxDepth")).sendKeys("1");
    browser.findElement(By.id("submit-job")).click();

    // the form leads to the job, which the event stream moves to its end
    waiting().until(ExpectedConditions.urlMatches("#/jobs/.+"));
    waiting().until(d -> d.findElement(By.cssSelector("#job-state .badge")).getText().matches("queued|running|completed"));
    WebElement bar = browser.findElement(By.cssSelector(".progress.large .bar"));
    waiting().until(d -> "100".equals(bar.getAttribute("data-percent")));
    waiting().until(d -> badge().equals("completed"));
    assertThat(bar.getAttribute("aria-valuenow")).isEqualTo(bar.getAttribute("aria-valuemax")).isEqualTo("8");
    assertThat(browser.findElement(By.cssSelector(".progress.large .bar-text")).getText()).contains("100%", "8 / 8", "1 failed");
    assertThat(browser.findElement(By.id("spec")).getText()).contains("crawl.maxDepth", "crawl");

    // the failed item, found with the state filter, opens to its error
    new Select(browser.findElement(By.id("item-filter"))).selectByValue("failed");
    WebElement summary = waiting().until(ExpectedConditions.elementToBeClickable(
        By.cssSelector("tr[data-state='failed'] details.item-error summary")));
    assertThat(browser.findElements(By.cssSelector("table.items tbody tr"))).hasSize(1);
    assertThat(summary.getText()).isEqualTo("http_status");
    WebElement message = browser.findElement(By.cssSelector("tr[data-state='failed'] details.item-error p"));
    assertThat(message.isDisplayed()).isFalse();
    summary.click();
    waiting().until(ExpectedConditions.visibilityOf(message));
    assertThat(message.getText()).contains("404");
    // succeeded items link to their stored body
    new Select(browser.findElement(By.id("item-filter"))).selectByValue("succeeded");
    waiting().until(d -> d.findElements(By.cssSelector("table.items tbody tr")).size() == 7);
    assertThat(browser.findElement(By.cssSelector("a.body-link")).getAttribute("href")).contains("/items/0/content");
  }

  @Test
  void cancellingASlowJobShowsCancelledInTheListAndTheJob() {
    String id = fetchd.submitDownload(List.of(target.url("/drip/slow?bytes=1000&intervalMs=200")), null).getString("id");
    open(fetchd, "#/jobs");
    // the list shows the job live
    By row = By.cssSelector("tr[data-job='" + id + "']");
    waiting().until(d -> d.findElement(row).findElement(By.cssSelector(".badge")).getText().equals("running"));
    browser.findElement(row).findElement(By.cssSelector("a.job-link")).click();

    waiting().until(d -> badge().equals("running"));
    browser.findElement(By.id("cancel-job")).click();
    WebElement dialog = browser.findElement(By.id("confirm-dialog"));
    waiting().until(ExpectedConditions.visibilityOf(dialog));
    // keeping it changes nothing
    browser.findElement(By.id("confirm-no")).click();
    waiting().until(ExpectedConditions.invisibilityOf(dialog));
    assertThat(badge()).isEqualTo("running");
    browser.findElement(By.id("cancel-job")).click();
    waiting().until(ExpectedConditions.elementToBeClickable(By.id("confirm-yes"))).click();
    waiting().until(d -> badge().equals("cancelled"));
    assertThat(browser.findElement(By.id("cancel-job")).isDisplayed()).isFalse();
    assertThat(fetchd.get("/jobs/" + id).json().getString("state")).isEqualTo("cancelled");

    browser.findElement(By.linkText("← All jobs")).click();
    waiting().until(d -> d.findElement(row).findElement(By.cssSelector(".badge")).getText().equals("cancelled"));
  }

  @Test
  void aRefusedSubmissionShowsEachMessageNextToItsField() {
    open(fetchd, "#/submit");
    WebElement urls = waiting().until(ExpectedConditions.elementToBeClickable(By.id("urls")));
    urls.sendKeys(target.url("/bytes/ok") + "\n\nftp://example.com/file");
    browser.findElement(By.id("submit-job")).click();
    // /urls/1 is the third line of the text area (blank lines are skipped)
    WebElement urlsError = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("urls-error")));
    assertThat(urlsError.getText()).contains("line 3").containsIgnoringCase("scheme");
    assertThat(urls.getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(browser.findElement(By.id("error-summary")).getText()).contains("/urls/1");

    urls.clear();
    urls.sendKeys(target.url("/bytes/ok"));
    browser.findElement(By.cssSelector("details.limits summary")).click();
    browser.findElement(By.id("limits-concurrency")).sendKeys("0");
    browser.findElement(By.id("submit-job")).click();
    WebElement concurrencyError = waiting().until(
        ExpectedConditions.visibilityOfElementLocated(By.id("limits-concurrency-error")));
    assertThat(concurrencyError.getText()).isNotBlank();
    assertThat(browser.findElement(By.id("urls-error")).isDisplayed()).as("the fixed field's error is gone").isFalse();
    assertThat(browser.findElement(By.id("limits-concurrency")).getAttribute("aria-describedby"))
        .contains("limits-concurrency-error");
    assertThat(fetchd.get("/jobs").json().getJsonArray("jobs").stream()
        .map(j -> ((JsonObject) j).getJsonObject("spec").getInteger("urlCount")).toList())
        .as("nothing was submitted").doesNotContainNull();
  }

  @Test
  void withTokensNothingShowsUntilTheTokenIsGiven() {
    try (RunningService guarded = RunningService.start(Map.of("apiTokens", TOKEN))) {
      String body = new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/secret?size=10"))).put("labels", new JsonObject().put("who", "alice")).encode();
      String id = guarded.post("/jobs", body, "Authorization", "Bearer " + TOKEN).json().getString("id");

      open(guarded, "#/jobs");
      WebElement dialog = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token-dialog")));
      assertThat(browser.findElements(By.cssSelector("tr[data-job]"))).isEmpty();
      assertThat(browser.getPageSource()).doesNotContain(id).doesNotContain("alice");

      browser.findElement(By.id("token-input")).sendKeys("not-the-token");
      browser.findElement(By.id("token-save")).click();
      waiting().until(d -> d.findElement(By.id("token-reason")).getText().contains("not valid"));
      assertThat(dialog.isDisplayed()).isTrue();
      assertThat(browser.getPageSource()).doesNotContain(id);

      WebElement input = browser.findElement(By.id("token-input"));
      input.clear();
      input.sendKeys(TOKEN);
      browser.findElement(By.id("token-save")).click();
      waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("tr[data-job='" + id + "']")));
      assertThat(browser.findElement(By.cssSelector("tr[data-job='" + id + "']")).getText()).contains("who=alice");

      // the job view and its event stream work with the header too
      browser.findElement(By.cssSelector("tr[data-job='" + id + "'] a.job-link")).click();
      waiting().until(d -> badge().equals("completed"));
      waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("a.body-link")));

      // forgetting the token hides everything again
      browser.findElement(By.id("forget-token")).click();
      waiting().until(ExpectedConditions.visibilityOf(browser.findElement(By.id("token-dialog"))));
      browser.findElement(By.id("token-input")).sendKeys(TOKEN);
      browser.findElement(By.id("token-save")).click();
      ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
    }
  }

  @Test
  void screenshotsOfTheJobsListAndOneJob() throws Exception {
    String crawlSeed = site("/shot");
    JsonObject crawl = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(crawlSeed))
        .put("crawl", new JsonObject().put("maxDepth", 1)).put("labels", new JsonObject().put("team", "docs"));
    String crawlId = fetchd.post("/jobs", crawl.encode()).json().getString("id");
    fetchd.awaitTerminal(crawlId, WAIT);
    fetchd.submitDownload(List.of(target.url("/bytes/report.pdf?size=250000"), target.url("/bytes/data.csv?size=90000"),
        target.url("/status/503")), new JsonObject().put("retries", 0));
    List<String> many = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      many.add(target.url("/bytes/file" + i + ".bin?size=" + (20_000 + i * 500) + "&delay=150"));
    }
    String slow = fetchd.submitDownload(many, new JsonObject().put("concurrency", 2)).getString("id");

    open(fetchd, "#/jobs");
    waiting().until(d -> d.findElement(By.cssSelector("tr[data-job='" + slow + "'] .badge")).getText().equals("running"));
    waiting().until(d -> !d.findElement(By.cssSelector("tr[data-job='" + slow + "'] .bar-rate")).getText().isEmpty());
    Files.createDirectories(SHOTS);
    Files.write(SHOTS.resolve("jobs.png"), ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1500));
    open(fetchd, "#/jobs/" + crawlId);
    waiting().until(d -> badge().equals("completed"));
    waiting().until(d -> d.findElements(By.cssSelector("table.items tbody tr")).size() == 8);
    browser.findElement(By.cssSelector("tr[data-state='failed'] details.item-error summary")).click();
    ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
    Files.write(SHOTS.resolve("job.png"), ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));

    // on a phone both views fit the width: tables turn into stacked cards, nothing scrolls sideways
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(400, 860));
    for (String view : List.of("#/jobs", "#/jobs/" + crawlId, "#/submit")) {
      open(fetchd, view);
      waiting().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("main h1")));
      waiting().until(d -> !d.findElements(By.cssSelector("tr[data-job], tr[data-index], form")).isEmpty());
      Object overflow = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
          "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
      Object widest = ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(
          "const w = document.documentElement.clientWidth; return [...document.querySelectorAll('main *')]"
          + ".filter(e => e.getBoundingClientRect().right > w + 1).slice(-3).map(e => e.tagName + '.' + e.className).join(' ')");
      assertThat(((Number) overflow).intValue()).as("sideways overflow of %s at phone width: %s", view, widest)
          .isLessThanOrEqualTo(0);
    }
    Files.write(SHOTS.resolve("phone-submit.png"), ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
    fetchd.delete("/jobs/" + slow);
    assertThat(Files.size(SHOTS.resolve("jobs.png"))).isPositive();
  }

  /**
   * The jobs list follows every running job of the page on one event stream (GET /events), more of them than a
   * stream per row could (a browser keeps six connections per host). The page re-read is set to ten minutes (a
   * UI-only URL parameter), so every move seen here came from the stream; the Refresh button reads the page
   * again, and a running job that appeared meanwhile joins the stream.
   */
  @Test
  void everyRunningBarOnTheJobsListMovesFromOneStream() {
    List<String> running = new java.util.ArrayList<>();
    for (int i = 0; i < 5; i++) {
      running.add(heldJob("s" + i));
    }
    try {
      browser.get(fetchd.baseUrl() + "/ui/?refresh=600000#/jobs");
      for (String id : running) {
        waiting().until(d -> "true".equals(d.findElement(jobRow(id)).getAttribute("data-live")));
        assertThat(rowPercent(id)).isEqualTo("0");
      }
      // an item of each job ends: every bar moves at once, long before the page would be read again
      for (int i = 0; i < running.size(); i++) {
        answerHeld("job=s" + i + "&n=0");
      }
      for (String id : running) {
        waiting().until(d -> rowPercent(id).equals("50"));
      }

      // a job that started after the page was read joins the stream when the page is read again
      String late = heldJob("s5");
      running.add(late);
      browser.findElement(By.xpath("//button[normalize-space()='Refresh']")).click();
      waiting().until(d -> "true".equals(d.findElement(jobRow(late)).getAttribute("data-live")));
      answerHeld("job=s5&n=0");
      waiting().until(d -> rowPercent(late).equals("50"));

      // and every one reaches its end from the stream
      for (int i = 0; i < running.size(); i++) {
        answerHeld("job=s" + i + "&n=1");
      }
      for (String id : running) {
        waiting().until(d -> d.findElement(jobRow(id)).findElement(By.cssSelector(".badge")).getText().equals("completed"));
        assertThat(rowPercent(id)).isEqualTo("100");
        waiting().until(d -> d.findElement(jobRow(id)).getAttribute("data-live") == null);
      }
    } finally {
      for (String id : running) {
        fetchd.delete("/jobs/" + id);
      }
      held.clear();
    }
  }

  @Test
  void theStateFilterShowsOnlyJobsInThatState() {
    String done = quickJob("filter-done");
    fetchd.awaitTerminal(done, WAIT);
    String cancelled = heldJob("filter-cancel");
    fetchd.delete("/jobs/" + cancelled);
    held.clear();
    open(fetchd, "#/jobs");
    waiting().until(ExpectedConditions.presenceOfElementLocated(jobRow(done)));

    new Select(browser.findElement(By.id("state-filter"))).selectByValue("cancelled");
    waiting().until(ExpectedConditions.urlContains("#/jobs?state=cancelled"));
    waiting().until(d -> listedJobs().contains(cancelled) && !listedJobs().contains(done));
    assertThat(badgeTexts()).isNotEmpty().allSatisfy(t -> assertThat(t).isEqualTo("cancelled"));
    assertThat(listedJobs()).isEqualTo(apiJobIds("state=cancelled&limit=50"));

    new Select(browser.findElement(By.id("state-filter"))).selectByValue("completed");
    waiting().until(d -> listedJobs().contains(done) && !listedJobs().contains(cancelled));
    assertThat(badgeTexts()).isNotEmpty().allSatisfy(t -> assertThat(t).isEqualTo("completed"));

    new Select(browser.findElement(By.id("state-filter"))).selectByValue("");
    waiting().until(d -> listedJobs().containsAll(List.of(done, cancelled)));
  }

  @Test
  void olderAndNewerPageThroughMoreJobsThanAPage() {
    int have = fetchd.get("/jobs?limit=1000").json().getJsonArray("jobs").size();
    List<String> added = new java.util.ArrayList<>();
    for (int i = have; i < 30; i++) {
      added.add(quickJob("page" + i));
    }
    added.forEach(id -> fetchd.awaitTerminal(id, WAIT));
    List<String> first = apiJobIds("limit=25");
    String next = fetchd.get("/jobs?limit=25").json().getString("next");
    List<String> second = apiJobIds("limit=25&cursor=" + next);
    assertThat(second).isNotEmpty().doesNotContainAnyElementsOf(first);

    open(fetchd, "#/jobs?limit=25");
    WebElement newer = browser.findElement(By.cssSelector("nav.pager button:first-of-type"));
    WebElement older = browser.findElement(By.cssSelector("nav.pager button:last-of-type"));
    waiting().until(d -> listedJobs().equals(first));
    assertThat(browser.findElement(By.cssSelector("nav.pager .page-label")).getText()).isEqualTo("Page 1");
    assertThat(newer.isEnabled()).isFalse();
    waiting().until(ExpectedConditions.elementToBeClickable(older)).click();
    waiting().until(d -> listedJobs().equals(second));
    assertThat(browser.findElement(By.cssSelector("nav.pager .page-label")).getText()).isEqualTo("Page 2");
    waiting().until(ExpectedConditions.elementToBeClickable(newer)).click();
    waiting().until(d -> listedJobs().equals(first));
    assertThat(newer.isEnabled()).isFalse();
  }

  @Test
  void aJobOfMoreThan100ItemsShowsThemAPageAtATime() {
    List<String> urls = new java.util.ArrayList<>();
    for (int i = 0; i < 120; i++) {
      urls.add(target.url("/bytes/it" + i + "?size=10"));
    }
    String id = fetchd.submitDownload(urls, null).getString("id");
    fetchd.awaitTerminal(id, WAIT);
    open(fetchd, "#/jobs/" + id);
    By rows = By.cssSelector("table.items tbody tr");
    waiting().until(d -> d.findElements(rows).size() == 100);
    WebElement previous = browser.findElement(By.cssSelector("nav.pager[aria-label='Pages of items'] button:first-of-type"));
    WebElement next = browser.findElement(By.cssSelector("nav.pager[aria-label='Pages of items'] button:last-of-type"));
    assertThat(browser.findElements(rows).get(0).getAttribute("data-index")).isEqualTo("0");
    assertThat(previous.isEnabled()).isFalse();
    waiting().until(ExpectedConditions.elementToBeClickable(next)).click();
    waiting().until(d -> d.findElements(rows).size() == 20);
    assertThat(browser.findElements(rows).get(0).getAttribute("data-index")).isEqualTo("100");
    assertThat(browser.findElements(rows).get(19).getAttribute("data-index")).isEqualTo("119");
    assertThat(browser.findElement(By.cssSelector("nav.pager[aria-label='Pages of items'] .page-label")).getText()).isEqualTo("Page 2");
    assertThat(next.isEnabled()).isFalse();
    waiting().until(ExpectedConditions.elementToBeClickable(previous)).click();
    waiting().until(d -> d.findElements(rows).size() == 100
        && d.findElements(rows).get(0).getAttribute("data-index").equals("0"));
  }

  @Test
  void aCrawlShowsItsCountsByKind() {
    target.html("/kinds/index", "<img src='/bytes/kinds/a.png?size=300'><a href='/kinds/p0'>p0</a> <a href='/status/404'>gone</a>");
    target.html("/kinds/p0", "<img src='/bytes/kinds/b.png?size=400'><img src='/status/404?img'>");
    JsonObject crawl = new JsonObject().put("type", "crawl").put("urls", new JsonArray().add(target.url("/kinds/index")))
        .put("crawl", new JsonObject().put("maxDepth", 1).put("assets", true));
    String id = fetchd.post("/jobs", crawl.encode()).json().getString("id");
    JsonObject progress = fetchd.awaitTerminal(id, WAIT).getJsonObject("progress");
    assertThat(progress.getJsonObject("pages").getLong("failed")).isEqualTo(1);
    assertThat(progress.getJsonObject("assets").getLong("total")).isEqualTo(3);

    open(fetchd, "#/jobs/" + id);
    WebElement table = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("table.kinds-table")));
    List<String> cols = table.findElements(By.cssSelector("thead th")).stream().map(WebElement::getText).skip(1).toList();
    assertThat(cols).containsExactly("total", "queued", "running", "succeeded", "failed", "skipped", "cancelled");
    for (String kind : List.of("pages", "assets")) {
      WebElement row = table.findElement(By.xpath(".//tbody/tr[th='" + kind + "']"));
      List<String> shown = row.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
      List<String> expected = cols.stream().map(c -> String.valueOf(progress.getJsonObject(kind).getLong(c, 0L))).toList();
      assertThat(shown).as(kind).isEqualTo(expected);
    }
  }

  /** Keyboard only: Tab to Cancel, Enter; Escape keeps the job; Enter again, Tab to the confirm button, Enter. */
  @Test
  void aJobIsCancelledWithTheKeyboardAlone() {
    String id = heldJob("keys");
    try {
      open(fetchd, "#/jobs/" + id);
      WebElement cancel = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("cancel-job")));
      waiting().until(d -> badge().equals("running"));
      for (int i = 0; i < 20 && !cancel.equals(browser.switchTo().activeElement()); i++) {
        new Actions(browser).sendKeys(Keys.TAB).perform();
      }
      assertThat(browser.switchTo().activeElement()).as("Tab reaches the Cancel button").isEqualTo(cancel);
      new Actions(browser).sendKeys(Keys.ENTER).perform();
      WebElement dialog = browser.findElement(By.id("confirm-dialog"));
      waiting().until(ExpectedConditions.visibilityOf(dialog));
      assertThat(browser.switchTo().activeElement().getAttribute("id")).as("the safe choice has the focus").isEqualTo("confirm-no");
      new Actions(browser).sendKeys(Keys.ESCAPE).perform();
      waiting().until(ExpectedConditions.invisibilityOf(dialog));
      assertThat(badge()).isEqualTo("running");
      assertThat(fetchd.get("/jobs/" + id).json().getString("state")).isEqualTo("running");
      assertThat(browser.switchTo().activeElement()).as("focus returns to the button").isEqualTo(cancel);

      new Actions(browser).sendKeys(Keys.ENTER).perform();
      waiting().until(ExpectedConditions.visibilityOf(dialog));
      new Actions(browser).sendKeys(Keys.TAB).perform();
      assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("confirm-yes");
      new Actions(browser).sendKeys(Keys.ENTER).perform();
      waiting().until(d -> badge().equals("cancelled"));
      assertThat(fetchd.get("/jobs/" + id).json().getString("state")).isEqualTo("cancelled");
    } finally {
      fetchd.delete("/jobs/" + id);
      held.clear();
    }
  }

  /**
   * Behind a proxy that answers GET /events with 404 (a replica of a version without it, or a path the ingress
   * does not route), the jobs list still moves: its stream is refused for good and the page's re-reads move
   * the bars instead.
   */
  @Test
  void withoutTheEventsEndpointTheJobsListMovesFromItsReReads() {
    io.vertx.core.Vertx vx = io.vertx.core.Vertx.vertx();
    java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
    String id = heldJob("noevents");
    try {
      io.vertx.core.http.HttpClient client = vx.createHttpClient();
      io.vertx.core.http.HttpServer proxy = vx.createHttpServer().requestHandler(req -> {
        if (req.path().equals("/events")) {
          refused.incrementAndGet();
          req.response().setStatusCode(404).end();
          return;
        }
        req.pause();
        client.request(new io.vertx.core.http.RequestOptions().setAbsoluteURI(fetchd.baseUrl() + req.uri())
                .setMethod(req.method()))
            .compose(out -> {
              out.headers().setAll(req.headers());
              return out.send(req);
            })
            .compose(in -> {
              req.response().setStatusCode(in.statusCode()).headers().setAll(in.headers())
                  .remove("transfer-encoding").remove("connection");
              req.response().setChunked(in.getHeader("content-length") == null);
              return in.pipeTo(req.response());
            })
            .onFailure(e -> {
              if (!req.response().headWritten()) {
                req.response().setStatusCode(502).end();
              }
            });
      }).listen(0, "127.0.0.1").await();

      browser.get("http://127.0.0.1:" + proxy.actualPort() + "/ui/?refresh=1000#/jobs");
      waiting().until(d -> refused.get() > 0 && rowPercent(id).equals("0"));
      answerHeld("job=noevents&n=0");
      waiting().until(d -> rowPercent(id).equals("50"));
      answerHeld("job=noevents&n=1");
      waiting().until(d -> d.findElement(jobRow(id)).findElement(By.cssSelector(".badge")).getText().equals("completed"));
      assertThat(rowPercent(id)).isEqualTo("100");
    } finally {
      vx.close().await();
      fetchd.delete("/jobs/" + id);
      held.clear();
    }
  }

  private String cell(int index, String label) {
    return browser.findElement(By.cssSelector("table.items tbody tr[data-index='" + index + "'] td[data-label='" + label + "']"))
        .getText();
  }

  private String fact(WebElement dl, String name) {
    return dl.findElement(By.xpath(".//dt[normalize-space()='" + name + "']/following-sibling::dd[1]")).getText();
  }

  /**
   * A download through the form, with limits and labels: the job shows them in its spec, its timings, and per
   * item the HTTP status, size, duration and attempts (a 503 retried once shows 2), and a too-large body's code.
   */
  @Test
  void aDownloadSubmittedWithLimitsAndLabelsShowsThemAndEachItemsStatusSizeDurationAndAttempts() {
    open(fetchd, "#/submit");
    WebElement urls = waiting().until(ExpectedConditions.elementToBeClickable(By.id("urls")));
    urls.sendKeys(target.url("/bytes/ui-ok?size=2048") + "\n" + target.url("/flaky/ui-once?fail=1&code=503&size=10")
        + "\n" + target.url("/bytes/ui-big?size=10000"));
    browser.findElement(By.cssSelector("details.limits summary")).click();
    browser.findElement(By.id("limits-retries")).sendKeys("1");
    browser.findElement(By.id("limits-maxBytes")).sendKeys("4096");
    browser.findElement(By.id("labels")).sendKeys("team=ui\nrun=7");
    browser.findElement(By.id("submit-job")).click();

    waiting().until(ExpectedConditions.urlMatches("#/jobs/.+"));
    waiting().until(d -> badge().equals("completed"));
    String id = browser.getCurrentUrl().replaceAll(".*#/jobs/", "").replaceAll("[?].*", "");
    JsonObject job = fetchd.get("/jobs/" + id).json();
    assertThat(job.getJsonObject("spec").getJsonObject("labels").getMap()).containsEntry("team", "ui").containsEntry("run", "7");
    assertThat(job.getJsonObject("spec").getJsonObject("limits").getInteger("retries")).isEqualTo(1);
    assertThat(job.getJsonObject("spec").getJsonObject("limits").getLong("maxBytes")).isEqualTo(4096L);

    WebElement spec = browser.findElement(By.cssSelector("#spec dl"));
    assertThat(fact(spec, "Type")).isEqualTo("download");
    assertThat(fact(spec, "URLs")).isEqualTo("3");
    assertThat(fact(spec, "Labels")).contains("team=ui", "run=7");
    assertThat(fact(spec, "retries")).isEqualTo("1");
    assertThat(fact(spec, "maxBytes")).contains("4,096");
    WebElement timings = browser.findElement(By.id("timings"));
    for (String name : List.of("Created", "Started", "Finished", "Ran for", "Waited")) {
      assertThat(fact(timings, name)).as(name).isNotBlank().isNotEqualTo("–");
    }

    waiting().until(d -> d.findElements(By.cssSelector("table.items tbody tr")).size() == 3);
    assertThat(cell(0, "HTTP")).isEqualTo("200");
    assertThat(cell(0, "Size")).isEqualTo("2.0 kB");
    assertThat(cell(0, "Duration")).matches("\\d+ ms|[\\d.]+ s");
    assertThat(cell(0, "Attempts")).isEqualTo("1");
    assertThat(cell(1, "HTTP")).isEqualTo("200");
    assertThat(cell(1, "Attempts")).as("a 503, then a success").isEqualTo("2");
    assertThat(cell(2, "State")).isEqualTo("failed");
    assertThat(cell(2, "Error")).contains("too_large");
    assertThat(cell(2, "Body")).isEqualTo("–");
  }

  /** A job that ended with an error of its own shows its code and message above the progress. */
  @Test
  void aTimedOutJobShowsItsErrorCodeAndMessage() {
    String id = fetchd.submitDownload(List.of(target.url("/drip/ui-timeout?bytes=100000&intervalMs=200")),
        new JsonObject().put("timeoutMs", 1000)).getString("id");
    JsonObject done = fetchd.awaitTerminal(id, WAIT);
    assertThat(done.getString("state")).isEqualTo("timed_out");
    JsonObject error = done.getJsonObject("error");
    open(fetchd, "#/jobs/" + id);
    WebElement box = waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("job-error")));
    assertThat(box.getText()).contains(error.getString("code")).contains(error.getString("message"));
    assertThat(badge()).isEqualTo("timed out");
  }

  /**
   * Two tokens, two owners: the page shows what the API shows the token it holds, and nothing of the other's
   * jobs, even by a direct link; the token is kept in this tab's sessionStorage and nowhere else.
   */
  @Test
  void eachTokenSeesOnlyWhatTheApiShowsIt() {
    String other = "dashboard-other-token-9876543210";
    try (RunningService guarded = RunningService.start(Map.of("apiTokens", TOKEN + "," + other))) {
      String mine = guarded.post("/jobs", new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/mine?size=10"))).put("labels", new JsonObject().put("who", "alice"))
          .encode(), "Authorization", "Bearer " + TOKEN).json().getString("id");
      String theirs = guarded.post("/jobs", new JsonObject().put("type", "download")
          .put("urls", new JsonArray().add(target.url("/bytes/theirs?size=10"))).put("labels", new JsonObject().put("who", "bob"))
          .encode(), "Authorization", "Bearer " + other).json().getString("id");
      try {
        open(guarded, "#/jobs");
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("token-input"))).sendKeys(other);
        browser.findElement(By.id("token-save")).click();
        waiting().until(ExpectedConditions.visibilityOfElementLocated(jobRow(theirs)));
        assertThat(listedJobs()).containsExactly(theirs);
        assertThat(browser.getPageSource()).doesNotContain(mine).doesNotContain("alice");

        // a direct link to the other owner's job shows what the API answers that token: no such job
        open(guarded, "#/jobs/" + mine);
        waiting().until(d -> d.getPageSource().contains("No job " + mine));
        assertThat(browser.getPageSource()).doesNotContain("alice").doesNotContain("/bytes/mine");

        org.openqa.selenium.JavascriptExecutor js = (org.openqa.selenium.JavascriptExecutor) browser;
        assertThat(js.executeScript("return sessionStorage.getItem('fetchd.token')")).isEqualTo(other);
        assertThat(js.executeScript("return localStorage.length")).isEqualTo(0L);
        assertThat(js.executeScript("return document.cookie")).isEqualTo("");
      } finally {
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
      }
    }
  }

  /**
   * Every visible text on the jobs list, a job with a failed item, and the form showing its errors, against its
   * background as rendered: WCAG 2 AA contrast (4.5:1, or 3:1 for large text), computed in the page.
   */
  private static final String CONTRAST_FAILURES = """
      const parse = (s) => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(parseFloat); return { rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1 }; };
      const lum = (c) => { const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
      const background = (el) => { for (; el; el = el.parentElement) { const c = parse(getComputedStyle(el).backgroundColor);
        if (c && c.a > 0.5) return c.rgb; } return [255, 255, 255]; };
      const bad = []; let checked = 0;
      for (const el of document.querySelectorAll('body *')) {
        if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
        const r = el.getBoundingClientRect(); const st = getComputedStyle(el);
        if (r.width <= 1 || r.height <= 1 || st.visibility === 'hidden' || el.closest('[hidden]')) continue;
        const fg = parse(st.color); if (!fg) { bad.push(el.tagName + ' unreadable color ' + st.color); continue; }
        const l1 = lum(fg.rgb); const l2 = lum(background(el));
        const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
        const size = parseFloat(st.fontSize); const large = size >= 24 || (size >= 18.66 && parseInt(st.fontWeight) >= 700);
        checked++;
        if (ratio < (large ? 3 : 4.5)) bad.push(el.tagName + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
      }
      return checked === 0 ? ['nothing checked'] : bad;
      """;

  @SuppressWarnings("unchecked")
  private List<String> contrastFailures() {
    return (List<String>) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript(CONTRAST_FAILURES);
  }

  @Test
  void textHasEnoughContrastOnEveryView() {
    String failedJob = fetchd.submitDownload(List.of(target.url("/bytes/contrast?size=10"), target.url("/status/404")), null)
        .getString("id");
    fetchd.awaitTerminal(failedJob, WAIT);
    String running = heldJob("contrast");
    try {
      open(fetchd, "#/jobs");
      waiting().until(ExpectedConditions.visibilityOfElementLocated(jobRow(running)));
      waiting().until(ExpectedConditions.visibilityOfElementLocated(jobRow(failedJob)));
      assertThat(contrastFailures()).as("jobs list").isEmpty();

      open(fetchd, "#/jobs/" + failedJob + "?items=failed");
      waiting().until(d -> badge().equals("completed"));
      waiting().until(ExpectedConditions.elementToBeClickable(By.cssSelector("tr[data-state='failed'] details.item-error summary"))).click();
      assertThat(contrastFailures()).as("job view").isEmpty();

      open(fetchd, "#/submit");
      waiting().until(ExpectedConditions.elementToBeClickable(By.id("urls"))).sendKeys("ftp://example.com/x");
      browser.findElement(By.id("submit-job")).click();
      waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("urls-error")));
      assertThat(contrastFailures()).as("form with errors").isEmpty();
    } finally {
      fetchd.delete("/jobs/" + running);
      held.clear();
    }
  }
}
