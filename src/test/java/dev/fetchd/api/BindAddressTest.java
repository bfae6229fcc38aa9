package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.fetchd.config.ConfigLoader;
import dev.fetchd.testkit.RunningService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * FETCHD_HTTP_HOST binds the API to one address. On Linux every 127.x.y.z address reaches the loopback
 * interface, so a service bound to 127.0.0.1 must refuse 127.0.0.2 while one bound to all addresses answers it.
 */
class BindAddressTest {

  @Test
  void theHostVariableIsTheBindAddress() {
    assertThat(ConfigLoader.load(null, Map.of("FETCHD_HTTP_HOST", "127.0.0.1")).httpHost()).isEqualTo("127.0.0.1");
    assertThat(ConfigLoader.load(null, Map.of()).httpHost()).isEqualTo("0.0.0.0");
  }

  @Test
  void boundToOneAddressTheServiceAnswersThereOnly() {
    try (RunningService all = RunningService.start(Map.of("http.host", "0.0.0.0"))) {
      assumeTrue(connects("127.0.0.2", port(all)), "127.0.0.2 does not reach the loopback interface here");
    }
    try (RunningService one = RunningService.start(Map.of("http.host", "127.0.0.1"))) {
      assertThat(one.get("/health/live").status()).isEqualTo(200);
      assertThat(connects("127.0.0.1", port(one))).isTrue();
      assertThat(connects("127.0.0.2", port(one))).as("another loopback address is refused").isFalse();
    }
  }

  private static int port(RunningService s) {
    return URI.create(s.baseUrl()).getPort();
  }

  private static boolean connects(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 2000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
