package dev.emend.factworld.world;

/** A true statement of the world: {@code subject} stands in {@code relationId} to {@code object}. */
public record Fact(String subject, String relationId, String object) {
}
