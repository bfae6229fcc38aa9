package dev.fetchd.api;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The deadlines of one API connection, kept on its Netty pipeline (the only place that sees the first byte
 * of a request head and the end of a response):
 * <ul>
 *   <li>idle: no request in progress and no byte of the next one: closed after the idle timeout;</li>
 *   <li>head: from the first byte of a request to the end of its head: the header deadline;</li>
 *   <li>body: from the end of the head to the last byte of the body: the body deadline.</li>
 * </ul>
 * While a response is being produced no deadline runs: the handlers bound their own time (long polls end
 * within 60 s, event streams send heartbeats). Unlike Vert.x's idle timeout, a long poll is never cut.
 * Everything here runs on the connection's event loop.
 */
final class ConnectionDeadlines {
  private static final AttributeKey<ConnectionDeadlines> KEY = AttributeKey.valueOf("fetchd.deadlines");

  private enum Phase { IDLE, HEAD, BODY, RESPONDING }

  private final Channel channel;
  private final long idleMs;
  private final long headMs;
  private final long bodyMs;
  private final boolean healthOnly;
  private Phase phase = Phase.IDLE;
  private boolean requestDone;
  private boolean responseDone;
  private ScheduledFuture<?> timer;
  /** Gives back what the current request holds (its share of the body budget); run once, at its end. */
  private Runnable release;

  private ConnectionDeadlines(Channel channel, long idleMs, long headMs, long bodyMs, boolean healthOnly) {
    this.channel = channel;
    this.idleMs = idleMs;
    this.headMs = headMs;
    this.bodyMs = bodyMs;
    this.healthOnly = healthOnly;
  }

  /**
   * Watches a new HTTP/1.x connection: raw bytes before the request decoder, requests and responses
   * between the codecs and Vert.x's handler.
   *
   * @param healthOnly a connection over the cap: it gets one answer, then is closed
   */
  static void install(Channel channel, long idleMs, long headMs, long bodyMs, boolean healthOnly) {
    ConnectionDeadlines d = new ConnectionDeadlines(channel, idleMs, headMs, bodyMs, healthOnly);
    channel.attr(KEY).set(d);
    ChannelPipeline p = channel.pipeline();
    p.addBefore("httpDecoder", "fetchdBytes", d.new Bytes());
    p.addBefore("handler", "fetchdExchanges", d.new Exchanges());
    d.enter(Phase.IDLE);
  }

  /** Whether this connection is over the cap (answers health checks only); false if it is not watched. */
  static boolean healthOnly(Channel channel) {
    ConnectionDeadlines d = channel == null ? null : channel.attr(KEY).get();
    return d != null && d.healthOnly;
  }

  /**
   * Runs {@code r} when the request now in progress ends (its response sent and its body read) or the
   * connection closes; at once if the connection is not watched.
   */
  static void onRequestEnd(Channel channel, Runnable r) {
    ConnectionDeadlines d = channel == null ? null : channel.attr(KEY).get();
    if (d == null || !channel.isActive()) {
      r.run();
    } else {
      d.releaseNow();
      d.release = r;
    }
  }

  private void releaseNow() {
    Runnable r = release;
    release = null;
    if (r != null) {
      r.run();
    }
  }

  private void enter(Phase next) {
    phase = next;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    long ms = switch (next) {
      case IDLE -> idleMs;
      case HEAD -> headMs;
      case BODY -> bodyMs;
      case RESPONDING -> 0;
    };
    if (ms > 0) {
      timer = channel.eventLoop().schedule(() -> {
        if (phase == next) {
          channel.close();
        }
      }, ms, TimeUnit.MILLISECONDS);
    }
  }

  private void exchangeEnded() {
    if (requestDone && responseDone) {
      requestDone = false;
      responseDone = false;
      releaseNow();
      enter(Phase.IDLE);
    }
  }

  /** Before the request decoder: the first byte of a request head starts the header deadline. */
  private final class Bytes extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (phase == Phase.IDLE && msg instanceof ByteBuf b && b.isReadable()) {
        enter(Phase.HEAD);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (timer != null) {
        timer.cancel(false);
      }
      releaseNow();
      ctx.fireChannelInactive();
    }
  }

  /** After the codecs: a decoded request head and body end, and the end of each response. */
  private final class Exchanges extends ChannelDuplexHandler {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest) {
        requestDone = false;
        responseDone = false;
        if (msg instanceof LastHttpContent) {
          requestDone = true;
          enter(Phase.RESPONDING);
        } else {
          enter(Phase.BODY);
        }
      } else if (msg instanceof LastHttpContent && !requestDone) {
        requestDone = true;
        if (phase == Phase.BODY) {
          enter(Phase.RESPONDING);
        }
        exchangeEnded();
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (msg instanceof LastHttpContent) {
        if (healthOnly) {
          // over the cap: one answer, then the slot is given back
          ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
          return;
        }
        responseDone = true;
        exchangeEnded();
      }
      ctx.write(msg, promise);
    }
  }
}
