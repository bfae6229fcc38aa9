package dev.fetchd.warc;

/** RFC 4648 base32 (upper case, padded), the encoding WARC digests use by convention. */
final class Base32 {
  private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

  private Base32() {
  }

  static String encode(byte[] data) {
    StringBuilder sb = new StringBuilder((data.length + 4) / 5 * 8);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        sb.append(ALPHABET[(buffer >> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      sb.append(ALPHABET[(buffer << (5 - bits)) & 31]);
    }
    while (sb.length() % 8 != 0) {
      sb.append('=');
    }
    return sb.toString();
  }
}
