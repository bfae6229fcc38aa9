package dev.fetchd.warc;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

/**
 * Writes WARC 1.1 records (ISO 28500:2017) to a stream, one at a time. Blocking (it reads body files): call it on
 * a worker. With {@code gzip} every record is its own gzip member, so tools can seek to a record (.warc.gz).
 */
public final class WarcWriter {
  private static final byte[] CRLF = {'\r', '\n'};
  private final OutputStream out;
  private final boolean gzip;

  public WarcWriter(OutputStream out, boolean gzip) {
    this.out = out;
    this.gzip = gzip;
  }

  public static String newRecordId() {
    return "<urn:uuid:" + UUID.randomUUID() + ">";
  }

  /** The {@code warcinfo} record opening the file; returns its id. */
  public String warcinfo(String filename, Instant date, Map<String, String> info) throws IOException {
    StringBuilder sb = new StringBuilder();
    info.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    byte[] block = sb.toString().getBytes(StandardCharsets.UTF_8);
    String id = newRecordId();
    Map<String, String> h = new LinkedHashMap<>();
    h.put("WARC-Type", "warcinfo");
    h.put("WARC-Record-ID", id);
    h.put("WARC-Date", date(date));
    h.put("WARC-Filename", filename);
    h.put("Content-Type", "application/warc-fields");
    h.put("WARC-Block-Digest", "sha256:" + Base32.encode(sha256(block)));
    record(h, block, null, 0);
    return id;
  }

  /** A {@code request} record: the HTTP request head as sent (it had no body). */
  public void request(String id, String warcinfoId, String targetUri, Instant date, String concurrentTo,
                      byte[] head) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("WARC-Type", "request");
    h.put("WARC-Record-ID", id);
    h.put("WARC-Warcinfo-ID", warcinfoId);
    h.put("WARC-Date", date(date));
    h.put("WARC-Target-URI", targetUri);
    h.put("WARC-Concurrent-To", concurrentTo);
    h.put("Content-Type", "application/http;msgtype=request");
    h.put("WARC-Block-Digest", "sha256:" + Base32.encode(sha256(head)));
    record(h, head, null, 0);
  }

  /**
   * A {@code response} record: the HTTP head as received, then the body streamed from {@code body}.
   *
   * @param payloadSha256 the body's SHA-256 (hex, as items carry it), written as a base32 WARC-Payload-Digest
   */
  public void response(String id, String warcinfoId, String targetUri, Instant date, byte[] head, Path body,
                       long bodyLength, String payloadSha256) throws IOException {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("WARC-Type", "response");
    h.put("WARC-Record-ID", id);
    h.put("WARC-Warcinfo-ID", warcinfoId);
    h.put("WARC-Date", date(date));
    h.put("WARC-Target-URI", targetUri);
    h.put("Content-Type", "application/http;msgtype=response");
    if (payloadSha256 != null) {
      h.put("WARC-Payload-Digest", "sha256:" + Base32.encode(hex(payloadSha256)));
    }
    record(h, head, body, bodyLength);
  }

  private void record(Map<String, String> headers, byte[] block, Path body, long bodyLength) throws IOException {
    OutputStream o = gzip ? new GZIPOutputStream(new KeepOpen(out), 64 * 1024) : out;
    StringBuilder sb = new StringBuilder("WARC/1.1\r\n");
    headers.forEach((k, v) -> sb.append(k).append(": ").append(v).append("\r\n"));
    sb.append("Content-Length: ").append(block.length + bodyLength).append("\r\n\r\n");
    o.write(sb.toString().getBytes(StandardCharsets.UTF_8));
    o.write(block);
    if (body != null) {
      try (InputStream in = Files.newInputStream(body)) {
        long copied = in.transferTo(o);
        if (copied != bodyLength) {
          // the record's Content-Length is already out: a file that changed size would corrupt the rest
          throw new IOException("body " + body.getFileName() + " has " + copied + " bytes, expected " + bodyLength);
        }
      }
    }
    o.write(CRLF);
    o.write(CRLF);
    if (o instanceof GZIPOutputStream g) {
      g.finish();
    }
  }

  private static String date(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] hex(String s) {
    byte[] out = new byte[s.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(s, 2 * i, 2 * i + 2, 16);
    }
    return out;
  }

  /** Lets a gzip member end without closing the stream under it. */
  private static final class KeepOpen extends FilterOutputStream {
    KeepOpen(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
