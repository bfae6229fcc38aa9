package dev.fetchd.engine;

import dev.fetchd.job.Job;

/** The job a submission led to; {@code replayed} when an Idempotency-Key named an existing job. */
public record Submission(Job job, boolean replayed) {
}
