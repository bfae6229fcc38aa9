package dev.fetchd.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.function.Predicate;

/** The items of a job, page by page through the API's cursors, so a 100,000-item job is never held at once. */
final class Items {
  static final int PAGE = 1000;

  private Items() {
  }

  /** Hands each item (optionally only those in {@code state}) to {@code each} until it returns false. */
  static void forEach(ApiClient api, String id, String state, Predicate<JsonObject> each) {
    forEach(api, id, state, PAGE, each);
  }

  static void forEach(ApiClient api, String id, String state, int pageSize, Predicate<JsonObject> each) {
    String cursor = null;
    do {
      StringBuilder path = new StringBuilder(ApiCommand.jobPath(id)).append("/items?limit=").append(pageSize);
      if (state != null) {
        path.append("&state=").append(ApiClient.query(state));
      }
      if (cursor != null) {
        path.append("&cursor=").append(ApiClient.query(cursor));
      }
      JsonObject page = api.get(path.toString());
      JsonArray items = page.getJsonArray("items", new JsonArray());
      for (Object o : items) {
        if (!each.test((JsonObject) o)) {
          return;
        }
      }
      cursor = page.getString("next");
    } while (cursor != null);
  }
}
