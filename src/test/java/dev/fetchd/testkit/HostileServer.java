package dev.fetchd.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/**
 * A raw-socket target for what a well-behaved HTTP server never does, or what a plain HTTP server does not
 * let a test script byte by byte. Loopback only, free port. One request per connection; the socket is closed
 * after each answer (with no {@code Connection: close} unless said so).
 *
 * <pre>
 * /garbage                      an SSH banner with NUL bytes instead of HTTP
 * /nul-status                   a status line with a NUL byte in it
 * /bomb                         a gzip bomb (64 MiB of zeros, gzipped), Content-Length, Connection: close
 * /bad-length                   Content-Length: banana
 * /close-delimited/{name}?size=N  200, no Content-Length, no chunking: the body (TargetServer.body) ends with the close
 * /length-close/{name}?size=N   200 with Content-Length N, the whole body, then a close without notice: a keep-alive
 *                                 server that drops its connections right after answering
 * /short-close/{name}?size=N&amp;send=K  Content-Length N but only K bytes of the body, sent with the head in one write,
 *                                 then a close
 * /utf8-location/{path}         302 to "/" + path + "é" (raw UTF-8 bytes in the Location header)
 * /landing/...                  200 "landed" (the requested target is in {@link #requestLines()})
 * </pre>
 */
public final class HostileServer implements AutoCloseable {
  /** 64 MiB of zeros, gzipped: about 64 KiB on the wire. */
  public static final byte[] GZIP_BOMB = gzip(64 << 20);

  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;
  private final List<String> requestLines = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger connections = new AtomicInteger();

  private HostileServer() {
    server = vertx.createNetServer().connectHandler(socket -> {
      connections.incrementAndGet();
      Buffer request = Buffer.buffer();
      socket.handler(chunk -> {
        request.appendBuffer(chunk);
        String head = request.toString(StandardCharsets.ISO_8859_1);
        if (!head.contains("\r\n\r\n")) {
          return;
        }
        socket.handler(null);
        String line = head.substring(0, head.indexOf("\r\n"));
        requestLines.add(line);
        String[] parts = line.split(" ");
        answer(socket, parts.length > 1 ? parts[1] : "/");
      });
    }).listen(0, "127.0.0.1").await();
  }

  private static void answer(NetSocket socket, String target) {
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    Map<String, String> params = query(q < 0 ? "" : target.substring(q + 1));
    if (path.startsWith("/garbage")) {
      socket.end(Buffer.buffer("SSH-2.0-OpenSSH_9.6\r\n\u0000\u0001\u0002 this is not HTTP\r\n\r\n"));
    } else if (path.startsWith("/nul-status")) {
      socket.end(Buffer.buffer("HTTP/1.1 2\u000000 OK\r\nContent-Length: 2\r\n\r\nhi"));
    } else if (path.startsWith("/bomb")) {
      socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
          + "Content-Encoding: gzip\r\nContent-Length: " + GZIP_BOMB.length + "\r\nConnection: close\r\n\r\n"));
      socket.end(Buffer.buffer(GZIP_BOMB));
    } else if (path.startsWith("/bad-length")) {
      socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\nhello"));
    } else if (path.startsWith("/close-delimited/")) {
      String name = path.substring("/close-delimited/".length());
      byte[] body = TargetServer.body(name, Integer.parseInt(params.getOrDefault("size", "1024")));
      socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"));
      socket.end(Buffer.buffer(body));
    } else if (path.startsWith("/length-close/")) {
      String name = path.substring("/length-close/".length());
      byte[] body = TargetServer.body(name, Integer.parseInt(params.getOrDefault("size", "1024")));
      socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
          + body.length + "\r\n\r\n"));
      socket.end(Buffer.buffer(body));
    } else if (path.startsWith("/short-close/")) {
      String name = path.substring("/short-close/".length());
      int size = Integer.parseInt(params.getOrDefault("size", "1024"));
      byte[] body = TargetServer.body(name, size);
      int send = Integer.parseInt(params.getOrDefault("send", String.valueOf(size / 2)));
      socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size
          + "\r\n\r\n").appendBytes(body, 0, send));
    } else if (path.startsWith("/utf8-location/")) {
      Buffer head = Buffer.buffer("HTTP/1.1 302 Found\r\nLocation: /")
          .appendBytes((path.substring("/utf8-location/".length()) + "é").getBytes(StandardCharsets.UTF_8))
          .appendString("\r\nContent-Length: 0\r\n\r\n");
      socket.end(head);
    } else if (path.startsWith("/landing/")) {
      socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nlanded"));
    } else {
      socket.end(Buffer.buffer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
    }
  }

  public static HostileServer start() {
    return new HostileServer();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  public int port() {
    return server.actualPort();
  }

  /** Request lines received, oldest first, as sent on the wire (ISO-8859-1: one char per byte). */
  public List<String> requestLines() {
    synchronized (requestLines) {
      return new ArrayList<>(requestLines);
    }
  }

  /** Connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  @Override
  public void close() {
    vertx.close().await();
  }

  private static Map<String, String> query(String q) {
    Map<String, String> m = new HashMap<>();
    for (String part : q.split("&")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        m.put(part.substring(0, eq), URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return m;
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
