package dev.fetchd.engine;

import dev.fetchd.job.Item;
import dev.fetchd.job.Job;

/** Hears about one job as it changes (the API's event streams). Called on the engine's event loop. */
public interface JobListener {
  /** The job moved to a new state; after a terminal state nothing more is heard. */
  void stateChanged(Job job);

  /** An item reached its outcome. */
  default void itemFinished(Job job, Item item) {
  }

  /** The job's progress changed; sent at most a few times a second. */
  default void progressed(Job job) {
  }
}
