package dev.fetchd.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fetchd.job.WebhookEvent;
import org.junit.jupiter.api.Test;

/** An event's webhook-id is derived from the event: recorded twice, it is one delivery. */
class DeliveryIdTest {
  @Test
  void oneEventHasOneIdAndTwoEventsTwo() {
    String id = WebhookDispatcher.deliveryId("job-1", WebhookEvent.JOB_COMPLETED, -1);
    assertThat(id).matches("msg_[0-9a-f]{32}");
    assertThat(WebhookDispatcher.deliveryId("job-1", WebhookEvent.JOB_COMPLETED, -1)).isEqualTo(id);
    assertThat(WebhookDispatcher.deliveryId("job-2", WebhookEvent.JOB_COMPLETED, -1)).isNotEqualTo(id);
    assertThat(WebhookDispatcher.deliveryId("job-1", WebhookEvent.JOB_FAILED, -1)).isNotEqualTo(id);
    assertThat(WebhookDispatcher.deliveryId("job-1", WebhookEvent.ITEM_FAILED, 3))
        .isNotEqualTo(WebhookDispatcher.deliveryId("job-1", WebhookEvent.ITEM_FAILED, 4));
  }
}
