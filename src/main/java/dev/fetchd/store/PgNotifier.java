package dev.fetchd.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.PgNotification;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTEN/NOTIFY between replicas: "a job was queued" wakes idle replicas at once, "cancel job X" reaches
 * the replica that runs X. It listens on a connection of its own (a pooled one would be handed to other
 * queries) and reconnects with backoff when that connection drops. Notifications are a shortcut, never
 * the only path: one sent while the connection was down is lost, so after every reconnect the
 * job-queued handler fires once (poll now), and cancels still arrive through the heartbeat.
 *
 * <p>Handlers run on the context that called {@link #start()}: the engine's event loop.
 */
public final class PgNotifier {
  private static final Logger log = LoggerFactory.getLogger(PgNotifier.class);
  private static final long MIN_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 5_000;

  /**
   * The channel names of one schema; the default schema uses {@code fetchd_jobs}, {@code fetchd_cancel} and
   * {@code fetchd_changed} (a job's saved state or progress changed; payload: its id).
   */
  public record Channels(String jobs, String cancel, String changed) {
    public static Channels forSchema(String schema) {
      String suffix = schema == null ? "" : "_" + schema;
      return new Channels("fetchd_jobs" + suffix, "fetchd_cancel" + suffix, "fetchd_changed" + suffix);
    }
  }

  private final Vertx vertx;
  private final PgConnectOptions options;
  private final SqlClient sender;
  private final Channels channels;
  private Handler<Void> jobQueued = v -> { };
  private Handler<String> cancel = id -> { };
  private Handler<String> changed = id -> { };
  private Context context;
  private PgConnection conn;
  private long backoffMs = MIN_BACKOFF_MS;
  private long retryTimer = -1;
  private boolean closed;

  /** Sends through {@code sender} (the store's pool); listens on its own connection made from {@code options}. */
  PgNotifier(Vertx vertx, PgConnectOptions options, SqlClient sender, Channels channels) {
    this.vertx = vertx;
    this.options = options;
    this.sender = sender;
    this.channels = channels;
  }

  /** Called when a job was queued (or handed back) somewhere, and after each reconnect. */
  public PgNotifier jobQueuedHandler(Handler<Void> handler) {
    this.jobQueued = handler;
    return this;
  }

  /** Called with the id of a job whose cancel was asked for on some replica. */
  public PgNotifier cancelHandler(Handler<String> handler) {
    this.cancel = handler;
    return this;
  }

  /** Called with the id of a job whose saved state or progress changed. */
  public PgNotifier changedHandler(Handler<String> handler) {
    this.changed = handler;
    return this;
  }

  /** Connects and listens; completes once every channel is listened to. */
  public Future<Void> start() {
    closed = false;
    context = vertx.getOrCreateContext();
    Promise<Void> started = Promise.promise();
    context.runOnContext(v -> connect().onComplete(started));
    return started.future();
  }

  /** True while the listening connection is up. */
  public boolean listening() {
    return conn != null;
  }

  /** The backend process id of the listening connection, or -1 (tests use it to cut the connection). */
  public int processId() {
    PgConnection c = conn;
    return c == null ? -1 : c.processId();
  }

  public Future<Void> notifyJobQueued() {
    return send(channels.jobs(), "");
  }

  public Future<Void> notifyCancel(String jobId) {
    return send(channels.cancel(), jobId);
  }

  private Future<Void> send(String channel, String payload) {
    return sender.preparedQuery("SELECT pg_notify($1, $2)").execute(Tuple.of(channel, payload)).mapEmpty();
  }

  public Future<Void> close() {
    Promise<Void> done = Promise.promise();
    Context ctx = context == null ? vertx.getOrCreateContext() : context;
    ctx.runOnContext(v -> {
      closed = true;
      if (retryTimer >= 0) {
        vertx.cancelTimer(retryTimer);
      }
      PgConnection c = conn;
      conn = null;
      (c == null ? Future.<Void>succeededFuture() : c.close()).onComplete(done);
    });
    return done.future();
  }

  private Future<Void> connect() {
    return PgConnection.connect(vertx, options).compose(c -> {
      c.notificationHandler(this::received);
      // LISTEN takes an identifier: quoted, since channel names are ours and may need it
      return c.query("LISTEN \"" + channels.jobs() + "\"; LISTEN \"" + channels.cancel() + "\"; LISTEN \""
              + channels.changed() + "\"").execute()
          .map(v -> c)
          .onFailure(err -> c.close());
    }).map(c -> {
      if (closed) {
        c.close();
        return null;
      }
      conn = c;
      backoffMs = MIN_BACKOFF_MS;
      c.closeHandler(v -> lost(c, null));
      c.exceptionHandler(err -> lost(c, err));
      return null;
    });
  }

  private void received(PgNotification n) {
    try {
      if (n.getChannel().equals(channels.jobs())) {
        jobQueued.handle(null);
      } else if (n.getChannel().equals(channels.cancel())) {
        cancel.handle(n.getPayload());
      } else if (n.getChannel().equals(channels.changed())) {
        changed.handle(n.getPayload());
      }
    } catch (RuntimeException e) {
      log.warn("notification handler failed on {}", n.getChannel(), e);
    }
  }

  private void lost(PgConnection c, Throwable err) {
    if (conn != c) {
      return;
    }
    conn = null;
    c.close();
    if (closed) {
      return;
    }
    log.warn("LISTEN connection lost{}; reconnecting", err == null ? "" : ": " + err.getMessage());
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    long delay = backoffMs;
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    retryTimer = vertx.setTimer(delay, t -> {
      retryTimer = -1;
      if (closed) {
        return;
      }
      connect()
          .onSuccess(v -> {
            if (conn != null) {
              log.info("LISTEN connection back");
              // what was sent while we were away is lost: have the engine poll now
              jobQueued.handle(null);
            }
          })
          .onFailure(err -> {
            log.warn("LISTEN reconnect failed: {}", err.getMessage());
            scheduleReconnect();
          });
    });
  }
}
