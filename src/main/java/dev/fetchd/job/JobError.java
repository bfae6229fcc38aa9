package dev.fetchd.job;

/** Why a job ended other than completed: a stable code ({@code cancelled}, {@code timed_out}, ...) and a message. */
public record JobError(String code, String message) {
}
