package dev.emend.knowedit.metrics;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How a set of numbers was produced. Two results are comparable only when their protocols (and
 * model fingerprints) agree.
 *
 * @param scoring          teacher-forced or generated
 * @param mode             single (apply, score, roll back), batch, or sequential
 * @param scoredAfter      after each edit, or after all edits (sequential/batch)
 * @param modelFingerprint base model fingerprint (SHA-256 hex)
 * @param hparams          the method's full hyper-parameters, by name (sorted)
 */
public record Protocol(Scoring scoring, Mode mode, ScoredAfter scoredAfter, String modelFingerprint,
                       Map<String, Object> hparams) {

    public enum Scoring { TEACHER_FORCED, GENERATED }

    public enum Mode { SINGLE, BATCH, SEQUENTIAL }

    public enum ScoredAfter { EACH_EDIT, ALL_EDITS }

    public Protocol {
        Objects.requireNonNull(scoring, "scoring");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(scoredAfter, "scoredAfter");
        Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        hparams = Collections.unmodifiableMap(new TreeMap<>(hparams));
    }

    /** One line for tables: "teacher-forced, single edits, scored after each edit, model 1a2b3c4d". */
    public String describe() {
        String m = switch (mode) {
            case SINGLE -> "single edits";
            case BATCH -> "batch edit";
            case SEQUENTIAL -> "sequential edits";
        };
        String fp = modelFingerprint.length() > 12 ? modelFingerprint.substring(0, 12) : modelFingerprint;
        return (scoring == Scoring.TEACHER_FORCED ? "teacher-forced" : "generated") + ", " + m
                + ", scored after " + (scoredAfter == ScoredAfter.EACH_EDIT ? "each edit" : "all edits")
                + ", model " + fp;
    }
}
