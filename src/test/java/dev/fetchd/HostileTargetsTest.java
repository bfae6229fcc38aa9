package dev.fetchd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.fetch.Resolver;
import dev.fetchd.testkit.HostileServer;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Hostile targets and the address guard, checked from the outside: each item ends with one stable error
 * code, no partial file survives, permits come back, nothing is written outside the data dir, and the
 * service keeps serving.
 */
class HostileTargetsTest {

  /** Names that resolve only here: *.test never reaches real DNS. */
  static Resolver names(Map<String, String> table) {
    return host -> {
      String ip = table.get(host);
      if (ip == null) {
        return Future.failedFuture(new java.net.UnknownHostException(host));
      }
      try {
        return Future.succeededFuture(List.of(InetAddress.getByName(ip)));
      } catch (Exception e) {
        return Future.failedFuture(e);
      }
    };
  }

  private static void promisesHold(RunningService fetchd, String jobId) {
    assertThat(fetchd.partialFiles()).isZero();
    assertThat(fetchd.metric("fetchd_fetch_permits_in_use")).isZero();
    assertThat(fetchd.metric("fetchd_fetch_waiters")).isZero();
    assertThat(fetchd.get("/health/ready").status()).isEqualTo(200);
    for (JsonObject item : fetchd.items(jobId)) {
      assertThat(item.getString("state")).isIn("succeeded", "failed", "skipped", "cancelled");
      if (item.getString("state").equals("succeeded")) {
        assertThat(item.getString("sha256")).hasSize(64);
      } else {
        assertThat(item.getString("content")).isNull();
      }
    }
  }

  private static JsonObject runOne(RunningService fetchd, String url, JsonObject limits) {
    String id = fetchd.submitDownload(List.of(url), limits).getString("id");
    assertThat(fetchd.awaitTerminal(id, Duration.ofSeconds(30)).getString("state")).isEqualTo("completed");
    promisesHold(fetchd, id);
    return fetchd.items(id).get(0);
  }

  @Test
  void garbageInsteadOfHttpIsAnInvalidResponse() {
    try (HostileServer hostile = HostileServer.start(); RunningService fetchd = RunningService.start()) {
      JsonObject item = runOne(fetchd, hostile.url("/garbage"), new JsonObject().put("retries", 0));
      assertThat(item.getString("state")).isEqualTo("failed");
      assertThat(item.getJsonObject("error").getString("code")).isIn("invalid_response", "reset");
    }
  }

  @Test
  void aGzipBombIsStoredAsServedNeverInflated() {
    try (HostileServer hostile = HostileServer.start(); RunningService fetchd = RunningService.start()) {
      JsonObject item = runOne(fetchd, hostile.url("/bomb"), new JsonObject().put("maxBytes", 1 << 20));
      assertThat(item.getString("state")).isEqualTo("succeeded");
      assertThat(item.getLong("bytes")).isEqualTo(HostileServer.GZIP_BOMB.length);
      assertThat(item.getString("sha256")).isEqualTo(TargetServer.sha256Hex(HostileServer.GZIP_BOMB));
    }
  }

  @Test
  void aHostNameResolvingToAPrivateAddressIsBlockedWithoutAConnection() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("allowPrivateNetworks", false),
             names(Map.of("inside.test", "127.0.0.1", "meta.test", "169.254.169.254")))) {
      String id = fetchd.submitDownload(List.of("http://inside.test:" + target.port() + "/bytes/x",
          "http://meta.test/latest/meta-data/", "http://[::1]:" + target.port() + "/bytes/y",
          "http://2130706433:" + target.port() + "/bytes/z"), new JsonObject().put("retries", 0)).getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(10));
      assertThat(fetchd.items(id)).allSatisfy(item ->
          assertThat(item.getJsonObject("error").getString("code")).isEqualTo("blocked_address"));
      assertThat(target.requests()).isZero();
      promisesHold(fetchd, id);
    }
  }

  @Test
  void anAllowedRangeIsFetchedAtTheCheckedAddressAndRedirectsAreCheckedHopByHop() {
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("allowPrivateNetworks", false, "allowNetworks", "127.0.0.1/32"),
             names(Map.of("site.test", "127.0.0.1", "internal.test", "10.0.0.7")))) {
      // the connection goes to the checked address; the request still names the host
      JsonObject ok = runOne(fetchd, "http://site.test:" + target.port() + "/bytes/pinned?size=10", null);
      assertThat(ok.getString("state")).isEqualTo("succeeded");
      assertThat(target.lastHeader("Host")).isEqualTo("site.test:" + target.port());

      // a redirect from an allowed site into a denied range stops at that hop
      JsonObject redirected = runOne(fetchd, "http://site.test:" + target.port()
          + "/redirect-abs?to=http://internal.test/secret", new JsonObject().put("retries", 0));
      assertThat(redirected.getJsonObject("error").getString("code")).isEqualTo("blocked_address");
      JsonObject toLoopback2 = runOne(fetchd, "http://site.test:" + target.port()
          + "/redirect-abs?to=http://127.0.0.2:" + target.port() + "/bytes/no", new JsonObject().put("retries", 0));
      assertThat(toLoopback2.getJsonObject("error").getString("code")).isEqualTo("blocked_address");
      assertThat(target.requestLog()).noneMatch(r -> r.startsWith("GET /bytes/no"));
    }
  }

  @Test
  void aFullDiskIsAnItemErrorAndTheServiceStaysHealthy() throws Exception {
    Path mount = Files.createTempDirectory("fetchd-tmpfs");
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    boolean mounted = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    Assumptions.assumeTrue(mounted, "cannot mount a tmpfs here (needs root and mount rights): disk-full test skipped");
    try (TargetServer target = TargetServer.start();
         RunningService fetchd = RunningService.start(Map.of("data.dir", mount.resolve("data").toString()))) {
      JsonObject item = runOne(fetchd, target.url("/big/fill?size=5000000"), new JsonObject().put("retries", 0));
      assertThat(item.getString("state")).isEqualTo("failed");
      assertThat(item.getJsonObject("error").getString("code")).isEqualTo("disk_full");
      // the space is back: a small body still fits
      JsonObject small = runOne(fetchd, target.url("/bytes/after-full?size=1000"), null);
      assertThat(small.getString("state")).isEqualTo("succeeded");
    } finally {
      new ProcessBuilder("umount", mount.toString()).start().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void nothingIsEverWrittenOutsideTheDataDir() throws Exception {
    try (TargetServer target = TargetServer.start(); RunningService fetchd = RunningService.start()) {
      Path parent = fetchd.dataDir().getParent();
      long before;
      try (Stream<Path> s = Files.list(parent)) {
        before = s.count();
      }
      String id = fetchd.submitDownload(List.of(target.url("/bytes/..%2F..%2Fescape?size=10"),
          target.url("/bytes/../../etc/passwd?size=10"), target.url("/bytes/%00nul?size=10")), null).getString("id");
      fetchd.awaitTerminal(id, Duration.ofSeconds(10));
      // every body is named by its content, never by its URL: bodies/sha256/<first 2 hex>/<sha256>
      try (Stream<Path> files = Files.walk(fetchd.dataDir())) {
        assertThat(files.filter(Files::isRegularFile)).allSatisfy(f -> {
          assertThat(f.getFileName().toString()).matches("[0-9a-f]{64}");
          assertThat(fetchd.dataDir().resolve("bodies").relativize(f).toString())
              .isEqualTo("sha256/" + f.getFileName().toString().substring(0, 2) + "/" + f.getFileName());
        });
      }
      try (Stream<Path> s = Files.list(parent)) {
        assertThat(s.count()).isEqualTo(before);
      }
    }
  }
}
