package bench;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The bench target's bodies: byte p of body (name, size) is a pure function of (name, size, p), so every URL
 * gets a distinct body that nothing can deduplicate, any range can be produced on its own, and the verifier
 * computes the expected SHA-256 without asking anyone. (Same SplitMix64 construction as the test kit's
 * TargetServer; the bench does not depend on test classes.)
 */
public final class Bodies {
  public static final int CHUNK = 64 * 1024;
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private Bodies() {
  }

  public static long seed(String name, long size) {
    long h = 0xcbf29ce484222325L; // FNV-1a 64 over the UTF-8 name
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return mix(h ^ mix(size + 0x5DEECE66DL));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** Fills dst[off, off+len) with bytes [pos, pos+len) of the body with this seed. */
  public static void fill(long seed, long pos, byte[] dst, int off, int len) {
    int i = 0;
    while (i < len && ((pos + i) & 7) != 0) {
      dst[off + i] = byteAt(seed, pos + i);
      i++;
    }
    while (len - i >= 8) {
      long w = mix(seed + (((pos + i) >>> 3) + 1) * GOLDEN);
      for (int j = 0; j < 8; j++) {
        dst[off + i + j] = (byte) (w >>> (8 * j));
      }
      i += 8;
    }
    while (i < len) {
      dst[off + i] = byteAt(seed, pos + i);
      i++;
    }
  }

  private static byte byteAt(long seed, long pos) {
    return (byte) (mix(seed + ((pos >>> 3) + 1) * GOLDEN) >>> ((pos & 7) * 8));
  }

  public static byte[] body(String name, int size) {
    byte[] b = new byte[size];
    fill(seed(name, size), 0, b, 0, size);
    return b;
  }

  /** Lowercase hex SHA-256 of body(name, size), computed chunk by chunk. */
  public static String sha256(String name, long size) {
    MessageDigest md = digest();
    long seed = seed(name, size);
    byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(size, 1))];
    for (long pos = 0; pos < size; ) {
      int n = (int) Math.min(buf.length, size - pos);
      fill(seed, pos, buf, 0, n);
      md.update(buf, 0, n);
      pos += n;
    }
    return HexFormat.of().formatHex(md.digest());
  }

  public static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The (name, size) a bench URL names: http://host:port/b/{name}?size=N[&amp;delay=MS]. */
  public static Object[] nameAndSize(String url) {
    int p = url.indexOf("/b/");
    int q = url.indexOf('?', p);
    String name = url.substring(p + 3, q < 0 ? url.length() : q);
    long size = 1024;
    if (q >= 0) {
      for (String kv : url.substring(q + 1).split("&")) {
        if (kv.startsWith("size=")) {
          size = Long.parseLong(kv.substring(5));
        }
      }
    }
    return new Object[] {name, size};
  }
}
