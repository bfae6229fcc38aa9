package dev.fetchd.store;

/**
 * A replica's hold on a running job: which replica claimed it, with which attempt. The attempt is the
 * fencing token: every claim of a job increments it, so a write made under an older lease (a replica that
 * was stopped past its lease and came back) no longer matches and is refused.
 *
 * <p>{@code replica} names a process, not a user: unique per process start (host name plus a random
 * suffix, say). It is unrelated to {@link dev.fetchd.job.Job#owner()}, the submitter.
 */
public record Lease(String jobId, String replica, int attempt) {
}
