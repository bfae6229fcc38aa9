package dev.fetchd.job;

/** Why an item (or a job) did not succeed: a stable code and a human message. */
public record ItemError(ErrorCode code, String message) {
}
