package dev.fetchd.job;

/**
 * Counts of a job's items by kind and state, and bytes stored so far. Cheap to read at any moment: every
 * change is an increment, done by the engine as items move.
 */
public final class Progress {
  private final long[][] counts = new long[ItemKind.values().length][ItemState.values().length];
  private long bytes;
  private long notParsed;
  /** How many changes it has seen: a cheap version for whoever keeps a copy and wants to know if it is behind. */
  private long changes;
  private long unchanged;

  /** An item was created in state {@code state}. */
  public void added(ItemKind kind, ItemState state) {
    counts[kind.ordinal()][state.ordinal()]++;
    changes++;
  }

  /** An item moved from one state to another. */
  public void moved(ItemKind kind, ItemState from, ItemState to) {
    counts[kind.ordinal()][from.ordinal()]--;
    counts[kind.ordinal()][to.ordinal()]++;
    changes++;
  }

  public void addBytes(long n) {
    bytes += n;
    changes++;
  }

  /** A crawl page was stored but its links were not extracted (its item says why). */
  public void pageNotParsed() {
    notParsed++;
    changes++;
  }

  /** A recrawl's item succeeded with a 304: the earlier job's body stands. */
  public void unchangedItem() {
    unchanged++;
    changes++;
  }

  /** Items of every kind in this state. */
  public long count(ItemState state) {
    long n = 0;
    for (long[] byState : counts) {
      n += byState[state.ordinal()];
    }
    return n;
  }

  /** Items of one kind in this state. */
  public long count(ItemKind kind, ItemState state) {
    return counts[kind.ordinal()][state.ordinal()];
  }

  /** Items of one kind, whatever their state. */
  public long total(ItemKind kind) {
    long n = 0;
    for (long c : counts[kind.ordinal()]) {
      n += c;
    }
    return n;
  }

  public long total() {
    long n = 0;
    for (ItemKind k : ItemKind.values()) {
      n += total(k);
    }
    return n;
  }

  public long queued() { return count(ItemState.QUEUED); }
  public long running() { return count(ItemState.RUNNING); }
  public long succeeded() { return count(ItemState.SUCCEEDED); }
  public long failed() { return count(ItemState.FAILED); }
  public long skipped() { return count(ItemState.SKIPPED); }
  public long cancelled() { return count(ItemState.CANCELLED); }
  public long bytes() { return bytes; }
  public long notParsed() { return notParsed; }
  /** Grows with every change (never the same after one): compare two reads to know if anything moved. */
  public long changes() { return changes; }
  /** Succeeded items whose target answered 304 Not Modified (recrawls with {@code since}). */
  public long unchanged() { return unchanged; }

  /** A copy that later changes to either side do not reach. */
  public Progress copy() {
    Progress p = new Progress();
    for (int k = 0; k < counts.length; k++) {
      System.arraycopy(counts[k], 0, p.counts[k], 0, counts[k].length);
    }
    p.bytes = bytes;
    p.notParsed = notParsed;
    p.changes = changes;
    p.unchanged = unchanged;
    return p;
  }

  /** Sets every count and the bytes from {@code other} (a store saving, or an engine recounting). */
  public void restoreFrom(Progress other) {
    for (int k = 0; k < counts.length; k++) {
      System.arraycopy(other.counts[k], 0, counts[k], 0, counts[k].length);
    }
    bytes = other.bytes;
    notParsed = other.notParsed;
    changes++;
    unchanged = other.unchanged;
  }

  /** Sets one count (a store reading a job back). */
  public void restore(ItemKind kind, ItemState state, long count) {
    counts[kind.ordinal()][state.ordinal()] = count;
    changes++;
  }

  public void restoreBytes(long bytes) {
    this.bytes = bytes;
    changes++;
  }

  public void restoreNotParsed(long notParsed) {
    this.notParsed = notParsed;
    changes++;
  }

  public void restoreUnchanged(long unchanged) {
    this.unchanged = unchanged;
    changes++;
  }
}
