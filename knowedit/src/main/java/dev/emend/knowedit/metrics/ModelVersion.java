package dev.emend.knowedit.metrics;

import java.util.Objects;

/**
 * The model state a score came from; mirrors {@code emend.v1.ModelVersion}.
 *
 * @param space           the space ("base" is the read-only unedited model)
 * @param sequence        the space's ledger head; 0 means no edit was ever applied to it
 * @param baseFingerprint fingerprint of the base checkpoint
 */
public record ModelVersion(String space, long sequence, String baseFingerprint) {
    public ModelVersion {
        Objects.requireNonNull(space, "space");
        Objects.requireNonNull(baseFingerprint, "baseFingerprint");
    }

    /** The unedited base model with the given fingerprint. */
    public static ModelVersion base(String fingerprint) {
        return new ModelVersion("base", 0, fingerprint);
    }

    /** True for a state no edit has touched: the base, or any space at ledger head 0. */
    public boolean unedited() {
        return sequence == 0;
    }
}
