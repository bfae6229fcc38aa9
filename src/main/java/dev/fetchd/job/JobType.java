package dev.fetchd.job;

/** What a job does with its URLs. */
public enum JobType {
  /** Fetch each URL given and store its body. */
  DOWNLOAD,
  /** Fetch the seeds, follow links in scope, optionally download the assets pages reference. */
  CRAWL;

  public String wire() {
    return name().toLowerCase();
  }

  public static JobType fromWire(String s) {
    return valueOf(s.toUpperCase());
  }
}
