package dev.emend.knowedit.metrics;

import java.util.Objects;

/**
 * A locality probe scored twice: {@code pre} on the unedited model, {@code post} on the edited one,
 * both teacher-forced on {@code loc_prompt + " " + loc_ground_truth}.
 */
public record LocalityPair(ScoreResult pre, ScoreResult post) {
    public LocalityPair {
        Objects.requireNonNull(pre, "pre");
        Objects.requireNonNull(post, "post");
    }
}
