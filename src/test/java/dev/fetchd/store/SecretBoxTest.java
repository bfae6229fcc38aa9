package dev.fetchd.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fetchd.job.JobSpec;
import dev.fetchd.job.JobType;
import dev.fetchd.job.Limits;
import dev.fetchd.job.RequestOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SecretBoxTest {
  static byte[] key(int b) {
    byte[] k = new byte[32];
    java.util.Arrays.fill(k, (byte) b);
    return k;
  }

  @Test
  void sealedValuesOpenOnlyWithTheSameKeyForTheSameJob() {
    SecretBox box = new SecretBox(key(1));
    String sealed = box.seal("Bearer tok-abc", "job-1");
    assertThat(sealed).startsWith("enc:v1:").doesNotContain("tok-abc");
    assertThat(box.seal("Bearer tok-abc", "job-1")).isNotEqualTo(sealed); // a fresh nonce each time
    assertThat(box.open(sealed, "job-1")).isEqualTo("Bearer tok-abc");
    assertThatThrownBy(() -> box.open(sealed, "job-2")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new SecretBox(key(2)).open(sealed, "job-1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> box.open("***", "job-1")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSpecJsonSealsSecretValuesOnlyAndReadsThemBack() {
    // values with a '-', which base64 never holds: sealed text cannot contain them by chance
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", "Bearer tok-abc");
    headers.put("X-Key", "key-k1");
    headers.put("Accept", "text/csv");
    RequestOptions r = new RequestOptions(headers, "bot/1", List.of(new RequestOptions.Cookie("sid", "cookie-c1", null, "/")),
        Set.of("X-Key"));
    JobSpec spec = new JobSpec(JobType.DOWNLOAD, List.of("https://e.test/"), new Limits(1, 1, 0, 1000, 1000, 10, 0),
        null, 0, Map.of(), r);
    SecretBox box = new SecretBox(key(3));
    var stored = SpecJson.encode(spec, v -> box.seal(v, "j"));
    assertThat(stored.encode()).doesNotContain("tok-abc").doesNotContain("key-k1").doesNotContain("cookie-c1").contains("text/csv");
    JobSpec back = SpecJson.decode(stored, "", v -> box.open(v, "j"));
    assertThat(back.request().headers()).isEqualTo(headers);
    assertThat(back.request().cookies().get(0).value()).isEqualTo("cookie-c1");
    assertThat(back.request().unreadable()).isFalse();
    JobSpec lost = SpecJson.decode(stored, "", v -> new SecretBox(key(4)).open(v, "j"));
    assertThat(lost.request().unreadable()).isTrue();
    assertThat(lost.request().headers().get("Authorization")).isEqualTo("***");
    // the default encoding, and toString, hide every secret
    assertThat(SpecJson.encode(spec).encode()).doesNotContain("tok-abc").doesNotContain("key-k1").doesNotContain("cookie-c1");
    assertThat(spec.toString()).doesNotContain("tok-abc").doesNotContain("key-k1").doesNotContain("cookie-c1");
  }
}
