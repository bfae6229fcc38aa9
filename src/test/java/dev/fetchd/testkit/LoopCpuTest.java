package dev.fetchd.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The blocked-loop check's judge, on threads named like event loops that do what a blocked or a starved loop
 * does. Each waits out the span it is judged over (the point is the time that passes).
 */
class LoopCpuTest {
  private static final long SPAN_NS = TimeUnit.MILLISECONDS.toNanos(300);
  private static final long LIMIT_NS = TimeUnit.MILLISECONDS.toNanos(200);

  @BeforeAll
  static void sample() {
    LoopCpu.start();
  }

  /** Runs body on a thread named like an event loop; returns it once it has run for the span. */
  private static Thread loop(String name, Runnable body) throws InterruptedException {
    Thread t = new Thread(body, "test-eventloop-" + name);
    t.setDaemon(true);
    t.start();
    long end = System.nanoTime() + SPAN_NS + TimeUnit.MILLISECONDS.toNanos(150); // past a thread scan and the span
    while (System.nanoTime() < end) {
      Thread.sleep(10);
    }
    return t;
  }

  @Test
  void aLoopThatComputesIsBlocked() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Thread t = loop("spin", () -> {
      long x = 0;
      while (!stop.get()) {
        x += System.nanoTime() % 7;
      }
      if (x == 42) {
        System.out.print("");
      }
    });
    try {
      // on a loaded machine the spinning thread gets a share of a CPU: judge it once it has used the limit's worth
      long start = System.nanoTime() - SPAN_NS - TimeUnit.MILLISECONDS.toNanos(150);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
      while (mx.getThreadCpuTime(t.getId()) < LIMIT_NS && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(LoopCpu.judge(t, System.nanoTime() - start, LIMIT_NS)).isEqualTo(LoopCpu.Verdict.BLOCKED);
    } finally {
      stop.set(true);
    }
  }

  @Test
  void aLoopThatSleepsIsBlocked() throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    Thread t = loop("sleep", () -> {
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      assertThat(LoopCpu.judge(t, SPAN_NS, LIMIT_NS)).isEqualTo(LoopCpu.Verdict.BLOCKED);
    } finally {
      done.countDown();
    }
  }

  @Test
  void aLoopInABlockingSocketCallIsBlocked() throws Exception {
    try (ServerSocket server = new ServerSocket(0)) {
      Thread t = loop("accept", () -> {
        try {
          server.accept(); // runnable, in a poll, no CPU: a blocking call on a loop
        } catch (java.io.IOException e) {
          // closed at the end of the test
        }
      });
      assertThat(t.getState()).isEqualTo(Thread.State.RUNNABLE);
      assertThat(LoopCpu.judge(t, SPAN_NS, LIMIT_NS)).isEqualTo(LoopCpu.Verdict.BLOCKED);
    }
  }

  /** A runnable thread the OS does not run: simulated by suspending it (JDK 17-19; later JDKs refuse). */
  @Test
  @SuppressWarnings({"deprecation", "removal"})
  void aRunnableLoopThatGetsNoCpuIsStarved() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Thread t = new Thread(() -> {
      long x = 0;
      while (!stop.get()) {
        x += System.nanoTime() % 7;
      }
      if (x == 42) {
        System.out.print("");
      }
    }, "test-eventloop-starved");
    t.setDaemon(true);
    t.start();
    try {
      try {
        t.suspend();
      } catch (UnsupportedOperationException e) {
        Assumptions.abort("this JDK cannot suspend a thread: " + e);
      }
      long end = System.nanoTime() + SPAN_NS + TimeUnit.MILLISECONDS.toNanos(150);
      while (System.nanoTime() < end) {
        Thread.sleep(10);
      }
      assertThat(t.getState()).isEqualTo(Thread.State.RUNNABLE);
      assertThat(LoopCpu.judge(t, SPAN_NS, LIMIT_NS)).isEqualTo(LoopCpu.Verdict.STARVED);
    } finally {
      stop.set(true);
      try {
        t.resume();
      } catch (UnsupportedOperationException e) {
        // never suspended
      }
    }
  }
}
