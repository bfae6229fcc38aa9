package dev.fetchd.job;

/** Stable item error codes: clients match on these words, so they never change meaning. */
public enum ErrorCode {
  TIMEOUT, CONNECT_FAILED, RESET, TRUNCATED, TOO_LARGE, HTTP_STATUS, BLOCKED_ADDRESS, ROBOTS,
  REDIRECT_LOOP, DISK_FULL, CANCELLED, INVALID_RESPONSE, IO_ERROR,
  /** A crawl page was stored (state succeeded) but its links were not extracted: too large, or parsing failed. */
  NOT_PARSED;

  public String wire() {
    return name().toLowerCase();
  }

  public static ErrorCode fromWire(String s) {
    return valueOf(s.toUpperCase());
  }
}
