package dev.fetchd.api;

import dev.fetchd.job.Item;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.file.FileProps;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * Serves a stored body the way a file server does (RFC 9110): a strong {@code ETag} from its SHA-256 and a
 * {@code Last-Modified} from the stored file's modification time (when the body was stored: an item keeps
 * no finish time of its own), {@code If-None-Match} / {@code If-Modified-Since} answered with 304, one byte
 * range answered with 206 ({@code If-Range} honoured), 416 for a range past the end, {@code HEAD} with the
 * same headers and no body, and {@code Content-Disposition: attachment} named after the URL.
 */
final class ItemContent {
  /** HTTP-date (IMF-fixdate): two-digit day, always GMT. */
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

  private ItemContent() {
  }

  /** Answers for {@code item}, whose body is {@code path} with these file properties. */
  static void send(RoutingContext ctx, Item item, Path path, FileProps props) {
    HttpServerRequest req = ctx.request();
    HttpServerResponse resp = ctx.response();
    long length = props.size();
    long modifiedSec = props.lastModifiedTime() / 1000;
    String etag = item.sha256() == null ? null : "\"" + item.sha256() + "\"";
    if (etag != null) {
      resp.putHeader("ETag", etag);
    }
    resp.putHeader("Last-Modified", HTTP_DATE.format(Instant.ofEpochSecond(modifiedSec)))
        .putHeader("Accept-Ranges", "bytes")
        // stored bodies are whatever a site served: never let a browser run them in our origin
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Content-Security-Policy", "sandbox");
    if (notModified(req, etag, modifiedSec)) {
      resp.setStatusCode(304).end();
      return;
    }
    String type = item.contentType() == null ? "application/octet-stream" : item.contentType();
    resp.putHeader("Content-Type", type)
        .putHeader("Content-Disposition", ContentDisposition.attachment(
            item.finalUrl() != null ? item.finalUrl() : item.url(), "item-" + item.index()));
    if (item.sha256() != null) {
      resp.putHeader("X-Content-SHA256", item.sha256());
    }
    boolean head = req.method() == HttpMethod.HEAD;
    // a range is for GET only; HEAD describes the whole body
    ByteRange range = head || !ifRangeHolds(req.getHeader("If-Range"), etag, modifiedSec)
        ? ByteRange.WHOLE : ByteRange.of(req.getHeader("Range"), length);
    switch (range.kind()) {
      case UNSATISFIABLE -> {
        resp.putHeader("Content-Range", "bytes */" + length);
        resp.headers().remove("Content-Disposition");
        new Problem(416, "range-not-satisfiable", "Range not satisfiable",
            "the body has " + length + " bytes; the range asked for starts past its end", List.of()).send(ctx);
      }
      case PARTIAL -> {
        resp.setStatusCode(206).putHeader("Content-Range",
            "bytes " + range.first() + "-" + range.last() + "/" + length);
        sendFile(ctx, path, range.first(), range.count());
      }
      case WHOLE -> {
        if (head) {
          resp.putHeader("Content-Length", Long.toString(length)).end();
        } else {
          sendFile(ctx, path, 0, length);
        }
      }
    }
  }

  private static void sendFile(RoutingContext ctx, Path path, long offset, long count) {
    // the bytes as stored: a gzip-encoded answer would not be the representation the ETag names. "identity" is
    // Vert.x's per-response "do not compress", and its compressor removes it before the head is written; it is set
    // for a body only, as HEAD and 304 answers pass the compressor untouched and would carry it (RFC 9110
    // section 8.4.1: identity is not a content coding to send)
    ctx.response().putHeader(HttpHeaders.CONTENT_ENCODING, HttpHeaders.IDENTITY);
    ctx.response().sendFile(path.toString(), offset, count).onFailure(err -> {
      if (!ctx.response().headWritten()) {
        ctx.fail(Problem.notFound("the stored body is gone"));
      }
    });
  }

  /**
   * RFC 9110 section 13.2.2: If-None-Match decides when present (weak comparison, {@code *} matches a body
   * that exists); only without it does If-Modified-Since count.
   */
  static boolean notModified(HttpServerRequest req, String etag, long modifiedSec) {
    List<String> inm = req.headers().getAll("If-None-Match");
    if (!inm.isEmpty()) {
      for (String header : inm) {
        for (String tag : header.split(",")) {
          String t = tag.trim();
          if (t.equals("*") || etag != null && (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
            return true;
          }
        }
      }
      return false;
    }
    Long since = parseDate(req.getHeader("If-Modified-Since"));
    return since != null && modifiedSec <= since;
  }

  /** If-Range: the range counts only if the body is still the one the client has (strong comparison). */
  static boolean ifRangeHolds(String ifRange, String etag, long modifiedSec) {
    if (ifRange == null) {
      return true;
    }
    String v = ifRange.trim();
    if (v.startsWith("\"") || v.startsWith("W/")) {
      return etag != null && v.equals(etag);
    }
    Long date = parseDate(v);
    return date != null && date == modifiedSec;
  }

  /** Seconds since the epoch of an HTTP-date, or null if it is not one (then the header is ignored). */
  static Long parseDate(String value) {
    if (value == null) {
      return null;
    }
    try {
      return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
