package dev.fetchd.job;

import java.util.List;
import java.util.Objects;

/**
 * Where a job's events are posted, which ones, and the secret they are signed with (Standard Webhooks:
 * {@code whsec_} and base64 of the key bytes). The secret is kept with the job but never shown in its views.
 */
public record Webhook(String url, List<WebhookEvent> events, String secret) {

  public Webhook {
    Objects.requireNonNull(url);
    events = List.copyOf(events);
  }

  public boolean wants(WebhookEvent event) {
    return events.contains(event);
  }

  /** Never print the secret. */
  @Override
  public String toString() {
    return "Webhook[url=" + url + ", events=" + events + "]";
  }
}
