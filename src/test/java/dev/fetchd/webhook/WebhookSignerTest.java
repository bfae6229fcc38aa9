package dev.fetchd.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {

  /** The test vector the Standard Webhooks reference libraries all reproduce: what receivers' libraries accept. */
  @Test
  void signsLikeTheStandardWebhooksReferenceImplementations() {
    assertThat(WebhookSigner.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330, "{\"test\": 2432232314}")).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }

  @Test
  void generatedSecretsAreWhsecAnd32RandomBytesAndValid() {
    String a = WebhookSigner.generateSecret();
    String b = WebhookSigner.generateSecret();
    assertThat(a).startsWith("whsec_").isNotEqualTo(b);
    assertThat(Base64.getDecoder().decode(a.substring(6))).hasSize(32);
    assertThat(WebhookSigner.secretProblem(a)).isNull();
  }

  @Test
  void secretsOutsideTheFormatAreRefusedWithAReason() {
    assertThat(WebhookSigner.secretProblem("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).contains("whsec_");
    assertThat(WebhookSigner.secretProblem("whsec_not base64!")).contains("base64");
    assertThat(WebhookSigner.secretProblem("whsec_" + Base64.getEncoder().encodeToString(new byte[23]))).contains("23");
    assertThat(WebhookSigner.secretProblem("whsec_" + Base64.getEncoder().encodeToString(new byte[65]))).contains("65");
    assertThat(WebhookSigner.secretProblem("whsec_" + Base64.getEncoder().encodeToString(new byte[64]))).isNull();
  }
}
