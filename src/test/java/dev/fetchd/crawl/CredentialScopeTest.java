package dev.fetchd.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.CrawlOptions.Scope;
import java.util.List;
import org.junit.jupiter.api.Test;

class CredentialScopeTest {

  private static boolean allows(CredentialScope scope, String url) {
    return scope.allows(NormalizedUrl.parse(url));
  }

  @Test
  void scopeAnyAllowsTheSeedsExactOriginsOnly() {
    CredentialScope s = new CredentialScope(Scope.ANY, List.of("https://www.example.com/start", "http://127.0.0.1:8080/"));
    assertThat(allows(s, "https://www.example.com/other?q=1")).isTrue();
    assertThat(allows(s, "https://www.example.com:443/x")).isTrue();
    assertThat(allows(s, "http://127.0.0.1:8080/x")).isTrue();
    assertThat(allows(s, "http://www.example.com/x")).as("a downgrade").isFalse();
    assertThat(allows(s, "https://www.example.com:8443/x")).as("another port").isFalse();
    assertThat(allows(s, "https://img.example.com/x")).isFalse();
    assertThat(allows(s, "http://127.0.0.1:8081/x")).isFalse();
    assertThat(allows(s, "https://127.0.0.1:8080/x")).as("not a seed origin, scope any").isFalse();
    assertThat(allows(s, "http://localhost:8080/x")).isFalse();
  }

  @Test
  void scopeHostAddsTheSameHostOverTheSameSchemeOrAnUpgradeNeverADowngrade() {
    CredentialScope https = new CredentialScope(Scope.HOST, List.of("https://www.example.com/"));
    assertThat(allows(https, "https://www.example.com/x")).isTrue();
    assertThat(allows(https, "http://www.example.com/x")).isFalse();
    assertThat(allows(https, "https://img.example.com/x")).isFalse();

    CredentialScope http = new CredentialScope(Scope.HOST, List.of("http://www.example.com/"));
    assertThat(allows(http, "http://www.example.com/x")).isTrue();
    assertThat(allows(http, "https://www.example.com/x")).as("an upgrade").isTrue();
    assertThat(allows(http, "http://www.example.com:8080/x")).as("out of host scope").isFalse();
  }

  @Test
  void scopeDomainAddsTheRegistrableDomainOverTheSameSchemeOrAnUpgrade() {
    CredentialScope s = new CredentialScope(Scope.DOMAIN, List.of("https://www.example.com/", "http://a.example.org/"));
    assertThat(allows(s, "https://img.example.com/x")).isTrue();
    assertThat(allows(s, "https://img.example.com:8443/x")).isTrue();
    assertThat(allows(s, "http://img.example.com/x")).as("the https seed's domain over http").isFalse();
    assertThat(allows(s, "http://b.example.org/x")).isTrue();
    assertThat(allows(s, "https://b.example.org/x")).isTrue();
    assertThat(allows(s, "https://example.net/x")).isFalse();
  }
}
