package dev.fetchd.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Blocking calls to fetchd's HTTP API for a one-shot program, on the JDK's {@link HttpClient}: a command
 * does one thing at a time and then exits, so there is no event loop to bridge to, streams (the event
 * stream, bodies) are plain {@link InputStream}s, and no Vert.x threads have to be started and closed.
 * Every failure becomes a {@link CliException} that says what went wrong in words.
 */
final class ApiClient {
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  private final String base;
  private final String token;
  private final HttpClient http;

  ApiClient(String base, String token) {
    this.base = checkBase(base);
    this.token = token == null || token.isBlank() ? null : token.strip();
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  String base() {
    return base;
  }

  /** A path segment, percent-encoded: an id typed by a person may hold anything. */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A query value, percent-encoded. */
  static String query(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  JsonObject get(String path) {
    return get(path, CALL_TIMEOUT);
  }

  JsonObject get(String path, Duration timeout) {
    return json(send(request(path, timeout).GET()));
  }

  JsonObject post(String path, JsonObject body) {
    return json(send(request(path, CALL_TIMEOUT)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))));
  }

  JsonObject delete(String path) {
    return json(send(request(path, CALL_TIMEOUT).DELETE()));
  }

  /** Opens a Server-Sent Events stream; the caller closes it. */
  EventStream events(String path, String lastEventId) {
    // no request timeout: the stream lasts as long as the job (the server sends a comment every 15 s)
    HttpRequest.Builder b = request(path, null).header("Accept", "text/event-stream").GET();
    if (lastEventId != null) {
      b.header("Last-Event-ID", lastEventId);
    }
    return new EventStream(stream(b));
  }

  /** A 2xx response whose body the caller reads (and closes); an error answer is thrown as a problem. */
  HttpResponse<InputStream> stream(String path) {
    return stream(request(path, CALL_TIMEOUT).GET());
  }

  private HttpResponse<InputStream> stream(HttpRequest.Builder b) {
    HttpResponse<InputStream> r = call(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    if (r.statusCode() / 100 != 2) {
      String body;
      try (InputStream in = r.body()) {
        body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      } catch (IOException e) {
        body = "";
      }
      throw ApiProblem.of(r.statusCode(), body, r.headers().firstValue("Retry-After").orElse(null));
    }
    return r;
  }

  private HttpRequest.Builder request(String path, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("User-Agent", "fetchd-cli");
    if (timeout != null) {
      b.timeout(timeout);
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private HttpResponse<String> send(HttpRequest.Builder b) {
    HttpResponse<String> r = call(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    if (r.statusCode() / 100 != 2) {
      throw ApiProblem.of(r.statusCode(), r.body(), r.headers().firstValue("Retry-After").orElse(null));
    }
    return r;
  }

  private <T> HttpResponse<T> call(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(request, handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException("interrupted");
    } catch (IOException e) {
      throw unreachable(request, e);
    }
  }

  /** Words for a failed exchange: refused, unknown host, timed out, or what the exception says. */
  CliException unreachable(HttpRequest request, IOException e) {
    String what;
    if (e instanceof HttpConnectTimeoutException) {
      what = "timed out connecting to " + base;
    } else if (e instanceof HttpTimeoutException) {
      what = "no answer from " + base + " within " + request.timeout().map(Duration::toSeconds).orElse(0L) + " s";
    } else if (causedBy(e, UnresolvedAddressException.class) || causedBy(e, UnknownHostException.class)) {
      what = "cannot resolve the host of " + base;
    } else if (e instanceof ConnectException || causedBy(e, ConnectException.class)) {
      what = "cannot connect to " + base + ": connection refused (is fetchd running there? set --url or FETCHD_URL)";
    } else if (e instanceof InterruptedIOException) {
      what = "interrupted";
    } else {
      what = request.method() + " " + request.uri().getPath() + " failed: "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }
    return new CliException(what);
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static JsonObject json(HttpResponse<String> r) {
    try {
      return new JsonObject(r.body());
    } catch (DecodeException e) {
      throw new CliException("the service answered something that is not JSON: " + Text.oneLine(
          r.body().length() > 200 ? r.body().substring(0, 200) : r.body()));
    }
  }

  private static String checkBase(String base) {
    String b = base.strip();
    while (b.endsWith("/")) {
      b = b.substring(0, b.length() - 1);
    }
    try {
      URI uri = new URI(b);
      if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
          || uri.getHost() == null) {
        throw new URISyntaxException(b, "not an http or https URL");
      }
    } catch (URISyntaxException e) {
      throw new CliException(FetchdCli.USAGE, java.util.List.of(
          "fetchd: --url (or FETCHD_URL) must be an http or https URL such as http://localhost:8080, not '" + base + "'"));
    }
    return b;
  }
}
