package dev.emend.core.edit;

import java.util.List;

/** One locality or portability probe: a prompt and its accepted answers (aliases). */
public record Probe(String prompt, List<String> groundTruth) {
    public Probe {
        groundTruth = groundTruth == null ? List.of() : List.copyOf(groundTruth);
    }
}
