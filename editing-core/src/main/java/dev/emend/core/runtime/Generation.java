package dev.emend.core.runtime;

/** Generated continuation: its text (prompt excluded), token ids, and why generation stopped. */
public record Generation(String text, int[] tokenIds, String stopReason) {}
