package dev.fetchd.api;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The dashboard: static files from the jar ({@code webroot/ui}) at {@code /ui/}, with {@code /} and
 * {@code /ui} redirecting there. The files hold no data, so they are public ({@link TokenAuth} lets them
 * through); every job the page shows comes from the API with the token the user gives it.
 * They are not operations of the contract: they are mounted beside the operations, not from openapi.yaml.
 */
final class DashboardRoutes {
  /** Where the files live on the classpath. */
  static final String WEB_ROOT = "webroot/ui";
  /** Browsers keep the files but ask again each time (a 304 when unchanged): an upgrade shows at once. */
  static final String CACHE_CONTROL = "no-cache";
  /** The page loads only its own scripts and styles and talks only to this origin. */
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

  private DashboardRoutes() {
  }

  /** Whether a normalised path is one of the dashboard's public paths. */
  static boolean isDashboardPath(String path) {
    return path.equals("/") || path.equals("/ui") || path.startsWith("/ui/");
  }

  static void mount(Router router) {
    StaticHandler files = StaticHandler.create(WEB_ROOT)
        .setDirectoryListing(false)
        .setIndexPage("index.html")
        .setCachingEnabled(true);
    router.get("/").handler(ctx -> {
      if (ctx.normalizedPath().equals("/")) {
        redirect(ctx);
      } else {
        ctx.next();
      }
    });
    router.get("/ui/*").handler(ctx -> {
      if (ctx.normalizedPath().equals("/ui")) {
        // relative module paths in index.html need the trailing slash
        redirect(ctx);
        return;
      }
      // set before the static handler, which keeps headers already present
      ctx.response().putHeader("Cache-Control", CACHE_CONTROL)
          .putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Content-Security-Policy", CSP)
          .putHeader("Referrer-Policy", "no-referrer");
      ctx.next();
    }).handler(files);
  }

  private static void redirect(RoutingContext ctx) {
    ctx.response().setStatusCode(302).putHeader("Location", "/ui/").end();
  }
}
