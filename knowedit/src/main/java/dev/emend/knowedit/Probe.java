package dev.emend.knowedit;

import java.util.List;
import java.util.Objects;

/**
 * One locality or portability probe; mirrors {@code emend.v1.Probe}.
 *
 * @param prompt      the probe prompt
 * @param groundTruth accepted answers (aliases), never empty; portability is scored against the
 *                    first entry, as EasyEdit does
 */
public record Probe(String prompt, List<String> groundTruth) {
    public Probe {
        Objects.requireNonNull(prompt, "prompt");
        groundTruth = List.copyOf(groundTruth);
    }

    /** The answer that is scored: the first alias. */
    public String answer() {
        return groundTruth.get(0);
    }
}
