package dev.fetchd.job;

/** Counts of a job's items by state, and bytes stored so far. Cheap to read at any moment. */
public final class Progress {
  private long total;
  private long queued;
  private long running;
  private long succeeded;
  private long failed;
  private long skipped;
  private long cancelled;
  private long bytes;

  /** An item was created in state {@code state}. */
  public void added(ItemState state) {
    total++;
    adjust(state, 1);
  }

  /** An item moved from one state to another. */
  public void moved(ItemState from, ItemState to) {
    adjust(from, -1);
    adjust(to, 1);
  }

  public void addBytes(long n) {
    bytes += n;
  }

  private void adjust(ItemState s, int d) {
    switch (s) {
      case QUEUED -> queued += d;
      case RUNNING -> running += d;
      case SUCCEEDED -> succeeded += d;
      case FAILED -> failed += d;
      case SKIPPED -> skipped += d;
      case CANCELLED -> cancelled += d;
    }
  }

  public long total() { return total; }
  public long queued() { return queued; }
  public long running() { return running; }
  public long succeeded() { return succeeded; }
  public long failed() { return failed; }
  public long skipped() { return skipped; }
  public long cancelled() { return cancelled; }
  public long bytes() { return bytes; }

  /** Sets every count at once (a store reading a job back). */
  public void restore(long total, long queued, long running, long succeeded, long failed, long skipped,
                      long cancelled, long bytes) {
    this.total = total;
    this.queued = queued;
    this.running = running;
    this.succeeded = succeeded;
    this.failed = failed;
    this.skipped = skipped;
    this.cancelled = cancelled;
    this.bytes = bytes;
  }
}
