package dev.fetchd.fetch;

import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers recent answers of another resolver for a short while, and lets concurrent lookups of one name
 * share a single one: a job of 100,000 URLs on one host then costs one lookup, not 100,000 trips to a
 * worker thread. Failures are not remembered. Confined to the event loop that calls it (no locks).
 *
 * <p>Every fetch still connects to an address from this answer (the guard pins it), so caching does not
 * open a rebinding window: it only delays seeing a changed record by at most the TTL, as the JVM's own
 * cache does.
 */
public final class CachingResolver implements Resolver {
  private final Resolver delegate;
  private final long ttlMs;
  private final Map<String, Entry> entries;

  private record Entry(Future<List<InetAddress>> answer, long expiresAt) {
  }

  public CachingResolver(Resolver delegate, long ttlMs, int maxEntries) {
    this.delegate = delegate;
    this.ttlMs = ttlMs;
    this.entries = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > maxEntries;
      }
    };
  }

  @Override
  public Future<List<InetAddress>> resolve(String host) {
    long now = System.currentTimeMillis();
    Entry e = entries.get(host);
    if (e != null && (now < e.expiresAt || !e.answer.isComplete())) {
      return e.answer;
    }
    Future<List<InetAddress>> answer = delegate.resolve(host);
    Entry fresh = new Entry(answer, now + ttlMs);
    entries.put(host, fresh);
    answer.onFailure(err -> entries.remove(host, fresh));
    return answer;
  }
}
