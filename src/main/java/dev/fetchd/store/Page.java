package dev.fetchd.store;

import java.util.List;

/** One page of a listing and the opaque cursor of the next page (null on the last). */
public record Page<T>(List<T> entries, String next) {
}
