package dev.emend.factworld.world;

/** One teacher-forced check: the model should continue {@code prompt} with {@code " " + target}. */
public record ScoreItem(String prompt, String target) {
}
