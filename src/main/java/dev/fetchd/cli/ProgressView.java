package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;

/** What a follower tells about a job as it moves. */
interface ProgressView {
  ProgressView NONE = new ProgressView() {
  };

  default void progress(JsonObject progress) {
  }

  default void state(String state) {
  }

  /** Time passed without news (a keep-alive of the stream). */
  default void tick() {
  }

  /** The job is over (or the watch was abandoned): leave the output tidy. */
  default void finish() {
  }

  /** Someone else now owns the output (the Ctrl-C question): draw nothing more. */
  default void silence() {
  }
}
