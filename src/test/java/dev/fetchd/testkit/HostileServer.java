package dev.fetchd.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;

/**
 * A raw-socket target for what a well-behaved HTTP server never does: answer with garbage instead of
 * HTTP, or send a gzip bomb (a small body that inflates a thousandfold). Loopback only, free port.
 */
public final class HostileServer implements AutoCloseable {
  /** 64 MiB of zeros, gzipped: about 64 KiB on the wire. */
  public static final byte[] GZIP_BOMB = gzip(64 << 20);

  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;

  private HostileServer() {
    server = vertx.createNetServer().connectHandler(socket -> {
      Buffer request = Buffer.buffer();
      socket.handler(chunk -> {
        request.appendBuffer(chunk);
        String head = request.toString();
        if (!head.contains("\r\n\r\n")) {
          return;
        }
        socket.handler(null);
        if (head.startsWith("GET /garbage")) {
          socket.end(Buffer.buffer("SSH-2.0-OpenSSH_9.6\r\n\u0000\u0001\u0002 this is not HTTP\r\n\r\n"));
        } else if (head.startsWith("GET /bomb")) {
          socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
              + "Content-Encoding: gzip\r\nContent-Length: " + GZIP_BOMB.length + "\r\nConnection: close\r\n\r\n"));
          socket.end(Buffer.buffer(GZIP_BOMB));
        } else if (head.startsWith("GET /bad-length")) {
          socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nhello"));
        } else {
          socket.end(Buffer.buffer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
        }
      });
    }).listen(0, "127.0.0.1").await();
  }

  public static HostileServer start() {
    return new HostileServer();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  @Override
  public void close() {
    vertx.close().await();
  }

  private static byte[] gzip(int zeros) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        byte[] block = new byte[1 << 16];
        for (int i = 0; i < zeros / block.length; i++) {
          gz.write(block);
        }
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
