package dev.fetchd.store;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals secret request values for storage with AES-256-GCM (the JDK's provider): a fresh 96-bit nonce per value,
 * the job id as associated data (a sealed value copied into another job's row does not open), the 128-bit tag
 * checked on open. Sealed text is {@code enc:v1:<base64 of nonce || ciphertext || tag>}. Thread-safe: a cipher is
 * made per call.
 */
public final class SecretBox {
  static final String PREFIX = "enc:v1:";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;
  private final SecretKeySpec macKey;

  /** @param key 32 bytes */
  public SecretBox(byte[] key) {
    if (key == null || key.length != 32) {
      throw new IllegalArgumentException("an AES-256 key is 32 bytes");
    }
    this.key = new SecretKeySpec(key, "AES");
    // a separate key for digests, derived so that a digest never reveals anything about the cipher key
    this.macKey = new SecretKeySpec(hmac(new SecretKeySpec(key, "HmacSHA256"), "fetchd digest key"), "HmacSHA256");
  }

  /** Seals {@code value} for the job {@code jobId}. */
  public String seal(String value, String jobId) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      c.updateAAD(jobId.getBytes(StandardCharsets.UTF_8));
      byte[] sealed = c.doFinal(value.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[nonce.length + sealed.length];
      System.arraycopy(nonce, 0, out, 0, nonce.length);
      System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
      return PREFIX + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** The value sealed for {@code jobId}; throws {@link IllegalArgumentException} if it does not open with this key. */
  public String open(String sealed, String jobId) {
    if (sealed == null || !sealed.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a sealed value");
    }
    try {
      byte[] in = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, in, 0, NONCE_BYTES));
      c.updateAAD(jobId.getBytes(StandardCharsets.UTF_8));
      return new String(c.doFinal(in, NONCE_BYTES, in.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("the value does not open with this key");
    }
  }

  /** A keyed digest (HMAC-SHA256, hex) of {@code text}: comparable across replicas sharing the key, useless without it. */
  public String digest(String text) {
    return java.util.HexFormat.of().formatHex(hmac(macKey, text));
  }

  private static byte[] hmac(SecretKeySpec k, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(k);
      return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  static boolean isSealed(String s) {
    return s != null && s.startsWith(PREFIX);
  }
}
