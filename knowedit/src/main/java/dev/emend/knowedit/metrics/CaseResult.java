package dev.emend.knowedit.metrics;

import java.util.Objects;

/**
 * The per-case numbers of one method on one case, as fractions in [0, 1] (fluency in bits).
 * A null field means the case had nothing to measure it on (no rephrase, no portability, ...).
 *
 * @param caseId                the case's id ("counterfact/17")
 * @param rewriteAcc            Edit Succ, required
 * @param rephraseAcc           Generalization
 * @param portability           Portability
 * @param locality              Locality
 * @param fluency               n-gram entropy of the generation from the prompt, bits
 * @param generationExactMatch  greedy generation exact match of the target (0 or 1)
 */
public record CaseResult(String caseId, double rewriteAcc, Double rephraseAcc, Double portability,
                         Double locality, Double fluency, Double generationExactMatch) {
    public CaseResult {
        Objects.requireNonNull(caseId, "caseId");
        check("rewriteAcc", rewriteAcc);
        for (Double d : new Double[]{rephraseAcc, portability, locality, generationExactMatch}) {
            if (d != null) {
                check("fraction", d);
            }
        }
        if (fluency != null && !(fluency >= 0)) {
            throw new IllegalArgumentException("fluency must be >= 0 bits, got " + fluency);
        }
    }

    private static void check(String name, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(name + " must be a fraction in [0, 1], got " + v);
        }
    }
}
