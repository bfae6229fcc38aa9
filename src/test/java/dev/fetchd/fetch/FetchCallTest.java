package dev.fetchd.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.ErrorCode;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** How failures map to item error codes, and what their messages may hold. */
class FetchCallTest {

  @Test
  void aFullConnectionPoolIsARetryableConnectFailureNotAnInvalidResponse() {
    FetchResult r = FetchCall.classify(
        new io.vertx.core.http.ConnectionPoolTooBusyException("Connection pool reached max wait queue size of 4"), false, null);
    assertThat(r.error()).isEqualTo(ErrorCode.CONNECT_FAILED);
    assertThat(r.retryable()).isTrue();
  }

  @Test
  void classifyByExceptionTypeBeforeMessage() {
    // a host whose name says "timeout" or "reset" must not decide the code
    assertThat(FetchCall.classify(new ConnectException("Connection refused: timeout.example/10.0.0.1:80"), false, null)
        .error()).isEqualTo(ErrorCode.CONNECT_FAILED);
    assertThat(FetchCall.classify(new UnknownHostException("reset-timeout.example"), false, null).error())
        .isEqualTo(ErrorCode.CONNECT_FAILED);
    assertThat(FetchCall.classify(new NoRouteToHostException("No route to host: closed.example"), false, null)
        .error()).isEqualTo(ErrorCode.CONNECT_FAILED);
    assertThat(FetchCall.classify(new IOException("Connection reset by peer (timeout.example)"), false, null).error())
        .isEqualTo(ErrorCode.RESET);
    assertThat(FetchCall.classify(new io.netty.channel.ConnectTimeoutException("connection timed out"), false, null)
        .error()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(FetchCall.classify(new RuntimeException("wrapped", new TimeoutException("refused.example")), false,
        null).error()).isEqualTo(ErrorCode.TIMEOUT);
    assertThat(FetchCall.classify(new NumberFormatException("For input string: \"2 00\""), false, null).error())
        .isEqualTo(ErrorCode.INVALID_RESPONSE);
  }

  @Test
  void aCloseInTheBodyOfADeclaredLengthIsTruncated() {
    FetchResult r = FetchCall.classify(new HttpClosedException("Connection was closed"), true, 1000L);
    assertThat(r.error()).isEqualTo(ErrorCode.TRUNCATED);
    assertThat(r.retryable()).isTrue();
    assertThat(FetchCall.classify(new PrematureChannelClosureException("closed"), false, null).error())
        .isEqualTo(ErrorCode.RESET);
  }

  @Test
  void messagesNeverHoldControlCharacters() {
    FetchResult r = FetchResult.failure(ErrorCode.INVALID_RESPONSE, "bad \u0000status\r\n\u001b[31m\u0085x", false);
    assertThat(r.message()).isEqualTo("bad \uFFFDstatus\uFFFD\uFFFD\uFFFD[31m\uFFFDx");
    assertThat(FetchResult.failure(ErrorCode.RESET, "x".repeat(5000), true).message()).hasSizeLessThan(1100);
    assertThat(FetchResult.failure(ErrorCode.RESET, "caf\u00e9 \uD83D\uDE00", true).message())
        .isEqualTo("caf\u00e9 \uD83D\uDE00");
  }
}
