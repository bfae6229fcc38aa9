package dev.fetchd.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Bearer-token authentication. With tokens configured, every endpoint but the health checks, the dashboard's
 * static files (and {@code /metrics} when it is public) needs {@code Authorization: Bearer <token>}. Tokens are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}, against every configured token without stopping at
 * the first match, so the time taken says nothing about how close a guess was. A caller is known by a
 * fingerprint of its token (never the token itself), which jobs record as their owner.
 */
final class TokenAuth implements Handler<RoutingContext> {
  static final String CALLER = "fetchd.caller";

  /** Who is calling: an owner fingerprint (null without tokens) and whether it may see every job. */
  record Caller(String owner, boolean admin) {
    static final Caller OPEN = new Caller(null, true);
    /** An unauthenticated request to a public endpoint: sees no job at all. */
    static final Caller NOBODY = new Caller("", false);

    boolean sees(String jobOwner) {
      return admin || owner == null || owner.equals(jobOwner);
    }

    /** Whose jobs a listing shows: null for all. */
    String listFilter() {
      return admin ? null : owner;
    }
  }

  private record Known(byte[] digest, String fingerprint, boolean admin) {
  }

  private final List<Known> tokens;
  private final boolean metricsPublic;

  TokenAuth(List<String> apiTokens, List<String> adminTokens, boolean metricsPublic) {
    this.tokens = new java.util.ArrayList<>();
    apiTokens.forEach(t -> tokens.add(known(t, false)));
    adminTokens.forEach(t -> tokens.add(known(t, true)));
    this.metricsPublic = metricsPublic;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (tokens.isEmpty()) {
      ctx.put(CALLER, Caller.OPEN);
      ctx.next();
      return;
    }
    // the path the router matches on (dot segments and %2e resolved), compared exactly: "/health/../jobs"
    // must not pass as a health check
    String path = ctx.normalizedPath();
    // the dashboard's static files hold no data: the page must load to ask for a token
    if (path.equals("/health/live") || path.equals("/health/ready") || (metricsPublic && path.equals("/metrics"))
        || DashboardRoutes.isDashboardPath(path)) {
      ctx.put(CALLER, Caller.NOBODY);
      ctx.next();
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    Known match = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      byte[] presented = sha256(header.substring(7).strip());
      for (Known k : tokens) {
        // no early exit: every token is compared
        if (MessageDigest.isEqual(presented, k.digest) && match == null) {
          match = k;
        }
      }
    }
    if (match == null) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"fetchd\"");
      new Problem(401, "unauthorized", "Unauthorized",
          header == null ? "send Authorization: Bearer <token>" : "the token is not valid", List.of()).send(ctx);
      return;
    }
    ctx.put(CALLER, new Caller(match.fingerprint, match.admin));
    ctx.next();
  }

  /** The caller of a request; fails closed: a request that did not pass this handler sees nothing. */
  static Caller caller(RoutingContext ctx) {
    Caller c = ctx.get(CALLER);
    return c == null ? Caller.NOBODY : c;
  }

  private static Known known(String token, boolean admin) {
    byte[] d = sha256(token);
    return new Known(d, HexFormat.of().formatHex(d, 0, 8), admin);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
