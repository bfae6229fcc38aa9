package bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;

/**
 * The S5 yardstick: a bare Vert.x HTTP server on one event loop (as fetchd's API runs on its verticle's one
 * event loop) answering every request with a small JSON body. Prints "READY port".
 *
 * <p>Usage: trivial [--port 0]
 */
public final class Trivial {
  private Trivial() {
  }

  public static void main(String[] args) {
    Args a = new Args(args);
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    var server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1")
            .setPort(Integer.parseInt(a.get("port", "0"))))
        .requestHandler(req -> req.response().putHeader("Content-Type", "application/json")
            .end("{\"status\":\"UP\"}"))
        .listen().await();
    System.out.println("READY " + server.actualPort());
    System.out.flush();
  }
}
