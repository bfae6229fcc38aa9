package dev.fetchd.engine;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Retries a store write that failed (a dropped connection, a failover) a few times with growing pauses
 * before its caller gives up on it. About three seconds in all: longer than a connection blip, shorter than
 * a lease, so a replica that cannot write gives up while it still holds its claim.
 */
final class StoreRetry {
  private static final long[] PAUSES_MS = {100, 500, 2_000};

  private StoreRetry() {
  }

  static <T> Future<T> run(Vertx vertx, Supplier<Future<T>> write) {
    Promise<T> done = Promise.promise();
    attempt(vertx, write, 0, done);
    return done.future();
  }

  private static <T> void attempt(Vertx vertx, Supplier<Future<T>> write, int n, Promise<T> done) {
    write.get().onComplete(ar -> {
      if (ar.succeeded() || n >= PAUSES_MS.length) {
        done.handle(ar);
      } else {
        vertx.setTimer(PAUSES_MS[n], t -> attempt(vertx, write, n + 1, done));
      }
    });
  }
}
