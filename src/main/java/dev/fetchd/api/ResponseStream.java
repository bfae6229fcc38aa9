package dev.fetchd.api;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A blocking {@link OutputStream} over an HTTP response, for a worker thread: every 64 KiB go to the response
 * on its event loop, and the worker waits while the response's write queue is full (back pressure: a slow
 * client holds the worker, never memory). A client that goes away fails the next write.
 */
final class ResponseStream extends OutputStream {
  private static final int CHUNK = 64 * 1024;
  /** A client that reads nothing for this long is given up. */
  private static final long STALL_MS = 120_000;

  private final HttpServerResponse response;
  private final Context loop;
  private final byte[] buf = new byte[CHUNK];
  private int n;
  private volatile IOException gone;
  private volatile CompletableFuture<Void> waiting;

  /** Call on the response's event loop. */
  ResponseStream(HttpServerResponse response, Context loop) {
    this.response = response;
    this.loop = loop;
    response.closeHandler(v -> gone(new IOException("the client closed the connection")));
    response.exceptionHandler(err -> gone(new IOException("response failed: " + err.getMessage(), err)));
  }

  private void gone(IOException e) {
    gone = e;
    CompletableFuture<Void> w = waiting;
    if (w != null) {
      w.completeExceptionally(e);
    }
  }

  @Override
  public void write(int b) throws IOException {
    if (n == CHUNK) {
      flush();
    }
    buf[n++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (n == CHUNK) {
        flush();
      }
      int k = Math.min(len, CHUNK - n);
      System.arraycopy(b, off, buf, n, k);
      n += k;
      off += k;
      len -= k;
    }
  }

  @Override
  public void flush() throws IOException {
    if (n == 0) {
      return;
    }
    Buffer chunk = Buffer.buffer(Arrays.copyOf(buf, n));
    n = 0;
    CompletableFuture<Void> sent = new CompletableFuture<>();
    waiting = sent;
    if (gone != null) {
      throw gone;
    }
    loop.runOnContext(v -> {
      if (gone != null) {
        sent.completeExceptionally(gone);
        return;
      }
      response.write(chunk);
      if (response.writeQueueFull()) {
        response.drainHandler(x -> sent.complete(null));
      } else {
        sent.complete(null);
      }
    });
    try {
      sent.get(STALL_MS, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("the client read nothing for " + STALL_MS + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    } finally {
      waiting = null;
    }
  }
}
