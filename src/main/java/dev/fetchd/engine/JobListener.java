package dev.fetchd.engine;

import dev.fetchd.job.Job;

/** Hears about jobs as they change (the API's event streams). Called on the engine's event loop. */
public interface JobListener {
  void stateChanged(Job job);
}
