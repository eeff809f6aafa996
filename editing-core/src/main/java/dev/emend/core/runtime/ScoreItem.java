package dev.emend.core.runtime;

/** One (prompt, target) pair to score teacher-forced. */
public record ScoreItem(String prompt, String target) {}
