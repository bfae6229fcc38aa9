package dev.fetchd.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CachingResolverTest {

  @Test
  void concurrentLookupsShareOneAndAnswersAreReusedWhileFresh() throws Exception {
    List<Promise<List<InetAddress>>> asked = new ArrayList<>();
    CachingResolver r = new CachingResolver(host -> {
      Promise<List<InetAddress>> p = Promise.promise();
      asked.add(p);
      return p.future();
    }, 60_000, 100);
    Future<List<InetAddress>> a = r.resolve("site.test");
    Future<List<InetAddress>> b = r.resolve("site.test");
    assertThat(asked).hasSize(1);
    asked.get(0).complete(List.of(InetAddress.getByName("93.184.216.34")));
    assertThat(a.result()).isEqualTo(b.result());
    assertThat(r.resolve("site.test").result()).hasSize(1);
    assertThat(asked).hasSize(1);
    r.resolve("other.test");
    assertThat(asked).hasSize(2);
  }

  @Test
  void failuresAreNotRemembered() {
    int[] calls = {0};
    CachingResolver r = new CachingResolver(host -> {
      calls[0]++;
      return Future.failedFuture(new java.net.UnknownHostException(host));
    }, 60_000, 100);
    assertThat(r.resolve("gone.test").failed()).isTrue();
    assertThat(r.resolve("gone.test").failed()).isTrue();
    assertThat(calls[0]).isEqualTo(2);
  }

  @Test
  void expiredAnswersAreLookedUpAgain() {
    int[] calls = {0};
    CachingResolver r = new CachingResolver(host -> {
      calls[0]++;
      return Future.succeededFuture(List.of());
    }, 0, 100);
    r.resolve("a.test");
    r.resolve("a.test");
    assertThat(calls[0]).isEqualTo(2);
  }
}
