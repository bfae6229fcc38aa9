package dev.fetchd.api;

import dev.fetchd.engine.JobEngine;
import dev.fetchd.fetch.HttpHeads;
import dev.fetchd.files.FileStore;
import dev.fetchd.job.Item;
import dev.fetchd.job.ItemState;
import dev.fetchd.job.Job;
import dev.fetchd.warc.WarcWriter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GET /jobs/{id}/warc: the job's succeeded items with a stored body as WARC 1.1, a request and a response record
 * each. The items are read a page at a time on the event loop; each page is written on a worker through a
 * {@link ResponseStream}, so neither the job nor a body is ever held in memory and a slow client slows the export.
 */
final class WarcExport {
  private static final int PAGE = 100;

  private final JobEngine engine;
  private final FileStore files;
  private final WorkerExecutor workers;

  WarcExport(Vertx vertx, JobEngine engine, FileStore files) {
    this.engine = engine;
    this.files = files;
    // its own small pool: a long export must not hold the workers the fetches and the API need. Unordered:
    // each export's steps are already chained, and exports on the same event loop must not queue behind each other
    this.workers = vertx.createSharedWorkerExecutor("fetchd-warc", 2);
  }

  /** Streams {@code job} (already checked visible to the caller). */
  void send(RoutingContext ctx, Job job, boolean gzip) {
    String filename = job.id() + (gzip ? ".warc.gz" : ".warc");
    HttpServerResponse response = ctx.response()
        .setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", "application/warc")
        .putHeader("Content-Disposition", "attachment; filename=\"" + filename + "\"")
        .putHeader("Cache-Control", "no-store");
    Context loop = Vertx.currentContext();
    ResponseStream out = new ResponseStream(response, loop);
    WarcWriter warc = new WarcWriter(out, gzip);
    String[] info = new String[1];
    workers.executeBlocking(() -> {
      info[0] = warc.warcinfo(filename, Instant.now(), warcinfo(job));
      out.flush();
      return null;
    }, false)
        .compose(v -> page(job, warc, out, info[0], null))
        .onSuccess(v -> response.end())
        // the status is out: all a client can be told now is that the file is cut short
        .onFailure(err -> response.reset());
  }

  private Future<Void> page(Job job, WarcWriter warc, ResponseStream out, String warcinfoId, String cursor) {
    return engine.items(job.id(), ItemState.SUCCEEDED, PAGE, cursor)
        .compose(page -> workers.<Void>executeBlocking(() -> {
          for (Item item : page.entries()) {
            if (item.storedFile() != null) {
              write(warc, warcinfoId, job, item);
            }
          }
          out.flush();
          return null;
        }, false).compose(v -> page.next() == null ? Future.succeededFuture()
            : page(job, warc, out, warcinfoId, page.next())));
  }

  private void write(WarcWriter warc, String warcinfoId, Job job, Item item) throws IOException {
    Path body = files.resolve(item.storedFile());
    if (body == null || !Files.isRegularFile(body)) {
      return; // removed meanwhile (retention): nothing to archive
    }
    String uri = item.finalUrl() != null ? item.finalUrl() : item.url();
    String responseHead = item.responseHead() != null ? item.responseHead() : reconstructedResponse(item);
    String requestHead = item.requestHead() != null ? item.requestHead() : reconstructedRequest(uri);
    Instant date = date(responseHead, job);
    String responseId = WarcWriter.newRecordId();
    String requestId = WarcWriter.newRecordId();
    warc.request(requestId, warcinfoId, uri, date, responseId, bytes(requestHead));
    warc.response(responseId, warcinfoId, uri, date, bytes(forArchive(responseHead)), body, Files.size(body),
        item.sha256());
  }

  private static Map<String, String> warcinfo(Job job) {
    Map<String, String> info = new LinkedHashMap<>();
    info.put("software", "fetchd");
    info.put("format", "WARC File Format 1.1");
    info.put("conformsTo", "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/");
    info.put("description", "fetchd job " + job.id());
    info.put("fetchd-job-id", job.id());
    info.put("fetchd-job-type", job.type().wire());
    return info;
  }

  /**
   * The head as stored, ready to precede the stored body: the body was stored de-chunked, so a
   * {@code Transfer-Encoding} header would make readers try to de-chunk it again; it is kept under another name.
   * Set-Cookie values read "***" (heads stored by versions before that redaction still hold them).
   */
  static String forArchive(String head) {
    StringBuilder sb = new StringBuilder(head.length() + 16);
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (line.regionMatches(true, 0, "Transfer-Encoding:", 0, "Transfer-Encoding:".length())) {
        sb.append("X-Fetchd-Original-").append(line).append("\r\n");
      } else if (colon > 0 && HttpHeads.isSetCookie(line.substring(0, colon))) {
        sb.append(line, 0, colon + 1).append(' ')
            .append(HttpHeads.redactSetCookie(line.substring(colon + 1).trim())).append("\r\n");
      } else {
        sb.append(line).append("\r\n");
      }
    }
    return sb.append("\r\n").toString();
  }

  /** Items fetched before heads were kept: what is known (status and type). */
  private static String reconstructedResponse(Item item) {
    int status = item.status() == null ? 200 : item.status();
    StringBuilder sb = new StringBuilder("HTTP/1.1 ").append(status).append(" \r\n");
    if (item.contentType() != null) {
      sb.append("Content-Type: ").append(item.contentType()).append("\r\n");
    }
    return sb.append("X-Fetchd-Head: reconstructed\r\n").toString();
  }

  private static String reconstructedRequest(String uri) {
    URI u = URI.create(uri);
    String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
        + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
    return "GET " + path + " HTTP/1.1\r\nHost: " + u.getRawAuthority() + "\r\n\r\n";
  }

  /** When the response was made: its Date header, else when the job ran. */
  private static Instant date(String responseHead, Job job) {
    for (String line : responseHead.split("\r\n")) {
      if (line.regionMatches(true, 0, "Date:", 0, 5)) {
        try {
          return ZonedDateTime.parse(line.substring(5).trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (RuntimeException e) {
          break;
        }
      }
    }
    Instant t = job.finishedAt() != null ? job.finishedAt() : job.startedAt();
    return t != null ? t : job.createdAt();
  }

  /** Heads hold what the decoder gave (ISO-8859-1 characters); anything beyond is written as UTF-8. */
  private static byte[] bytes(String head) {
    String h = head.endsWith("\r\n\r\n") ? head : head + "\r\n";
    boolean latin1 = h.chars().allMatch(c -> c < 256);
    return h.getBytes(latin1 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
  }
}
