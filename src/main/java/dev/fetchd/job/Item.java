package dev.fetchd.job;

/**
 * One URL of a job and what became of it. Owned by the engine's event loop, like {@link Job}.
 */
public final class Item {
  private final String jobId;
  private final int index;
  private final String url;
  private final int depth;
  private final String parent;
  private final ItemKind kind;
  private ItemState state = ItemState.QUEUED;
  private String finalUrl;
  private Integer status;
  private String contentType;
  private long bytes;
  private String sha256;
  private ItemError error;
  private int attempts;
  private Long durationMs;
  private String storedFile;
  /** How a crawl found the URL when not by a link ({@link #VIA_SITEMAP}); null for seeds and links. */
  private String via;

  /** {@link #via()} of a URL read from a sitemap. */
  public static final String VIA_SITEMAP = "sitemap";
  /** The last request's line and headers as sent, secret values "***" (HTTP/1.1 wire form), or null. */
  private String requestHead;
  /** The status line and headers as received with the stored body (HTTP/1.1 wire form, bounded), or null. */
  private String responseHead;
  /**
   * A recrawl's target answered 304 Not Modified: the body is the one the earlier job stored (its file, bytes,
   * sha256 and content type are this item's).
   */
  private boolean unchanged;

  public Item(String jobId, int index, ItemKind kind, String url, int depth, String parent) {
    this.jobId = jobId;
    this.index = index;
    this.kind = kind;
    this.url = url;
    this.depth = depth;
    this.parent = parent;
  }

  public String jobId() { return jobId; }
  public int index() { return index; }
  public ItemKind kind() { return kind; }
  public String url() { return url; }
  public int depth() { return depth; }
  public String parent() { return parent; }
  public ItemState state() { return state; }
  public String finalUrl() { return finalUrl; }
  public Integer status() { return status; }
  public String contentType() { return contentType; }
  public long bytes() { return bytes; }
  public String sha256() { return sha256; }
  public ItemError error() { return error; }
  public int attempts() { return attempts; }
  public Long durationMs() { return durationMs; }
  /** Name of the stored body relative to the data dir, or null when nothing is stored. */
  public String storedFile() { return storedFile; }
  public String via() { return via; }
  /** Sets how the URL was found (creation and store reads only); returns this. */
  public Item via(String via) {
    this.via = via;
    return this;
  }
  public String requestHead() { return requestHead; }
  public String responseHead() { return responseHead; }
  public boolean unchanged() { return unchanged; }
  /** Marks the item as revalidated (304) rather than fetched (engine and store reads only). */
  public void unchanged(boolean unchanged) { this.unchanged = unchanged; }

  public void state(ItemState state) { this.state = state; }

  /** A copy: what a store hands out and keeps, so that only a save changes what it holds. */
  public Item copy() {
    Item c = new Item(jobId, index, kind, url, depth, parent);
    c.state = state;
    c.finalUrl = finalUrl;
    c.status = status;
    c.contentType = contentType;
    c.bytes = bytes;
    c.sha256 = sha256;
    c.error = error;
    c.attempts = attempts;
    c.durationMs = durationMs;
    c.storedFile = storedFile;
    c.via = via;
    c.requestHead = requestHead;
    c.responseHead = responseHead;
    c.unchanged = unchanged;
    return c;
  }
  public void attemptStarted() { attempts++; }
  public void attempts(int attempts) { this.attempts = attempts; }
  public void durationMs(Long durationMs) { this.durationMs = durationMs; }

  /** Records what the target answered, whether or not a body is stored. */
  public void response(String finalUrl, Integer status, String contentType) {
    this.finalUrl = finalUrl;
    this.status = status;
    this.contentType = contentType;
  }

  public void stored(String storedFile, long bytes, String sha256) {
    this.storedFile = storedFile;
    this.bytes = bytes;
    this.sha256 = sha256;
    this.error = null;
  }

  /** The heads of the exchange that gave the stored body (kept for the WARC export). */
  public void heads(String requestHead, String responseHead) {
    this.requestHead = requestHead;
    this.responseHead = responseHead;
  }

  public void error(ItemError error) {
    this.error = error;
  }
}
