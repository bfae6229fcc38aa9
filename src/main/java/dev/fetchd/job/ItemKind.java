package dev.fetchd.job;

/** What an item is to its job: a URL given to a download job, a crawled page, or an asset of a page. */
public enum ItemKind {
  FILE, PAGE, ASSET;

  public String wire() {
    return name().toLowerCase();
  }

  public static ItemKind fromWire(String s) {
    return valueOf(s.toUpperCase());
  }
}
