package dev.fetchd.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** A Server-Sent Events stream read line by line (the text/event-stream format, enough of it for fetchd). */
final class EventStream implements AutoCloseable {
  /** One event; {@code name} "comment" for a keep-alive comment line. */
  record Event(String id, String name, String data) {
  }

  private final InputStream body;
  private final BufferedReader reader;

  EventStream(HttpResponse<InputStream> response) {
    this.body = response.body();
    this.reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
  }

  /** The next event, or null when the stream ended. */
  Event next() throws IOException {
    String id = null;
    String name = null;
    StringBuilder data = null;
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isEmpty()) {
        if (data != null || name != null) {
          return new Event(id, name == null ? "message" : name, data == null ? "" : data.toString());
        }
        continue;
      }
      if (line.startsWith(":")) {
        if (data == null && name == null) {
          return new Event(null, "comment", line.substring(1).strip());
        }
        continue;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "id" -> id = value;
        case "event" -> name = value;
        case "data" -> {
          if (data == null) {
            data = new StringBuilder(value);
          } else {
            data.append('\n').append(value);
          }
        }
        default -> {
          // retry and unknown fields: ignored, as the format says
        }
      }
    }
    return null;
  }

  @Override
  public void close() {
    try {
      body.close();
    } catch (IOException ignored) {
      // closing only aborts the exchange
    }
  }
}
