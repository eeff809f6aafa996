package dev.emend.recognition.serac;

import dev.emend.recognition.retrieval.Hit;
import java.util.List;

/**
 * SERAC's scope classifier, reduced to what works offline without training a classifier: a query
 * is in scope of a stored edit when the edit's fused retrieval score (normalised BM25 and centred
 * model-embedding cosine) reaches {@code threshold}. In scope → the edit goes in context (the
 * counterfactual model of SERAC is the base model reading the edit); out of scope → the untouched
 * base model answers, which is where SERAC's near-perfect locality comes from. The threshold is
 * calibrated for F1 by {@link ThresholdCalibration}.
 */
public record ScopeGate(double threshold) {
    /** The hits at or above the threshold, best first. */
    public List<Hit> inScope(List<Hit> hits) {
        return hits.stream().filter(h -> h.fused() >= threshold).toList();
    }
}
