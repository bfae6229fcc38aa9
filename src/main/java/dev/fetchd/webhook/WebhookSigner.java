package dev.fetchd.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): a secret is {@code whsec_} and the base64 of
 * 24 to 64 random bytes; a signature is {@code v1,} and the base64 of HMAC-SHA256, keyed with those bytes, over
 * {@code <webhook-id>.<webhook-timestamp>.<body>}.
 */
public final class WebhookSigner {
  public static final String PREFIX = "whsec_";
  private static final int GENERATED_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSigner() {
  }

  /** A new secret: {@code whsec_} and base64 of 32 random bytes. */
  public static String generateSecret() {
    byte[] key = new byte[GENERATED_BYTES];
    RANDOM.nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /** Why {@code secret} cannot sign, or null when it can. */
  public static String secretProblem(String secret) {
    if (!secret.startsWith(PREFIX)) {
      return "must start with " + PREFIX + " (Standard Webhooks format: whsec_ and base64 of 24 to 64 bytes)";
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return "the part after " + PREFIX + " must be base64";
    }
    if (key.length < 24 || key.length > 64) {
      return "must carry 24 to 64 bytes of key; this one has " + key.length;
    }
    return null;
  }

  /** The {@code webhook-signature} header value for one attempt. */
  public static String sign(String secret, String msgId, long timestampSeconds, String body) {
    byte[] key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] sig = mac.doFinal((msgId + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(sig);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
