package dev.fetchd.engine;

/**
 * The three permits of one fetch, taken in order job -> host -> global and given back in reverse, each at
 * most once, whatever path the fetch ends on. Cancelling a waiter that was never granted gives back nothing.
 */
final class Permits {
  private final AsyncSemaphore job;
  private final HostLimiter hosts;
  private final AsyncSemaphore global;
  private final String host;
  boolean holdsJob;
  boolean holdsHost;
  boolean holdsGlobal;

  Permits(AsyncSemaphore job, HostLimiter hosts, AsyncSemaphore global, String host) {
    this.job = job;
    this.hosts = hosts;
    this.global = global;
    this.host = host;
  }

  void releaseAll() {
    if (holdsGlobal) {
      holdsGlobal = false;
      global.release();
    }
    if (holdsHost) {
      holdsHost = false;
      hosts.release(host);
    }
    if (holdsJob) {
      holdsJob = false;
      job.release();
    }
  }
}
