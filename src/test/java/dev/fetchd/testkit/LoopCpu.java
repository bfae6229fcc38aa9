package dev.fetchd.testkit;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a blocked event loop from a starved one. Vert.x reports a loop as blocked when one task has run for
 * longer than the limit by the clock; on a loaded 2-core machine (a browser, other JVMs, a GC pause) a task can
 * pass the limit without running at all. A daemon thread samples the CPU time of every event-loop thread in the
 * JVM every 10 ms and keeps the last 2.5 s, so a report can be weighed against what the thread really did.
 */
final class LoopCpu {
  private static final int SAMPLES = 256;
  private static final long PERIOD_MS = 10;
  private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
  private static final Map<Thread, Ring> RINGS = new ConcurrentHashMap<>();
  private static volatile boolean started;

  private LoopCpu() {
  }

  /** What a blocked-thread report was. */
  enum Verdict {
    /** The thread ran on a CPU, or waited on a lock, a sleep or blocking I/O: fetchd blocked its loop. */
    BLOCKED,
    /** The thread was runnable but used less CPU than the limit allows: the machine was busy, not fetchd. */
    STARVED
  }

  static synchronized void start() {
    if (started || !MX.isThreadCpuTimeSupported()) {
      return;
    }
    MX.setThreadCpuTimeEnabled(true);
    Thread sampler = new Thread(LoopCpu::sampleForever, "loop-cpu-sampler");
    sampler.setDaemon(true);
    sampler.start();
    started = true;
  }

  /**
   * The verdict on a thread reported blocked for {@code durationNs} up to now, against a limit of
   * {@code limitNs}. Blocked when it waits on something, or when it used at least three quarters of the limit in
   * CPU time over the span: what would have passed the limit on a free CPU. Without samples that reach back over
   * half the span (a thread just started, or no CPU time support) the report counts as blocked, as before.
   */
  static Verdict judge(Thread t, long durationNs, long limitNs) {
    Thread.State state = t.getState();
    if (state == Thread.State.BLOCKED || state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
      return Verdict.BLOCKED; // a lock, a sleep, an await: exactly what the check is for
    }
    if (waitsOutside(t.getStackTrace())) {
      return Verdict.BLOCKED; // blocking I/O shows as runnable and costs no CPU
    }
    Ring ring = RINGS.get(t);
    long now = System.nanoTime();
    long cpuNow = MX.getThreadCpuTime(t.getId());
    long[] since = ring == null ? null : ring.atOrBefore(now - durationNs);
    if (since == null || cpuNow < 0 || now - since[0] < durationNs / 2) {
      return Verdict.BLOCKED;
    }
    // the window may start before the task did (the sampler may itself have waited for a CPU): the CPU time in
    // it bounds the task's from above, so a task that used the limit's worth is never called starved
    return (cpuNow - since[1]) * 4 >= limitNs * 3 ? Verdict.BLOCKED : Verdict.STARVED;
  }

  /**
   * Calls that wait on something outside the JVM while the thread shows as runnable and burns no CPU: disk I/O,
   * a DNS lookup, a java.net blocking socket. (Netty's non-blocking channel calls and epoll are not among them.)
   */
  private static boolean waitsOutside(StackTraceElement[] stack) {
    for (int i = 0; i < Math.min(stack.length, 8); i++) {
      String c = stack[i].getClassName();
      if (c.startsWith("sun.nio.ch.FileDispatcher") || c.equals("sun.nio.ch.FileChannelImpl")
          || c.equals("sun.nio.fs.UnixNativeDispatcher") || c.equals("java.io.FileInputStream")
          || c.equals("java.io.FileOutputStream") || c.equals("java.io.RandomAccessFile")
          || c.equals("sun.nio.ch.NioSocketImpl") // java.net's blocking sockets (Netty uses channels)
          || c.equals("java.net.Inet4AddressImpl") || c.equals("java.net.Inet6AddressImpl")) {
        return true;
      }
    }
    return false;
  }

  private static void sampleForever() {
    long lastScan = 0;
    while (true) {
      long now = System.nanoTime();
      if (now - lastScan > 100_000_000L) {
        scanThreads();
        lastScan = now;
      }
      for (Map.Entry<Thread, Ring> e : RINGS.entrySet()) {
        if (!e.getKey().isAlive()) {
          RINGS.remove(e.getKey());
          continue;
        }
        long cpu = MX.getThreadCpuTime(e.getKey().getId());
        if (cpu >= 0) {
          e.getValue().add(System.nanoTime(), cpu);
        }
      }
      try {
        Thread.sleep(PERIOD_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Finds the event-loop threads of every Vert.x in the JVM (tests start several). */
  private static void scanThreads() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] all = new Thread[root.activeCount() * 2 + 16];
    int n = root.enumerate(all, true);
    for (int i = 0; i < n; i++) {
      if (all[i].getName().contains("eventloop")) {
        RINGS.computeIfAbsent(all[i], t -> new Ring());
      }
    }
  }

  /** The last samples of one thread: (nanoTime, cpu time) pairs, written by the sampler alone. */
  private static final class Ring {
    private final long[] times = new long[SAMPLES];
    private final long[] cpus = new long[SAMPLES];
    private int next;
    private int size;

    synchronized void add(long time, long cpu) {
      times[next] = time;
      cpus[next] = cpu;
      next = (next + 1) % SAMPLES;
      size = Math.min(size + 1, SAMPLES);
    }

    /** The latest sample taken at or before {@code time}, else the earliest kept; null when empty. */
    synchronized long[] atOrBefore(long time) {
      if (size == 0) {
        return null;
      }
      int i = Math.floorMod(next - 1, SAMPLES);
      for (int k = 1; k < size && times[i] > time; k++) {
        i = Math.floorMod(next - 1 - k, SAMPLES);
      }
      return new long[] {times[i], cpus[i]};
    }
  }
}
