package dev.emend.recognition.retrieval;

/**
 * Weighted score fusion of the two retrievers: {@code fused = bm25Weight · bm25 + knnWeight · cosine}
 * on the normalised scores of {@link Hit}.
 *
 * <p>Why weighted scores and not reciprocal-rank fusion: the SERAC-style gate needs an absolute
 * score to compare with a calibrated threshold, and RRF only knows ranks (a best match among
 * unrelated facts would look as good as an exact one). Both scores are normalised per query, so the
 * fused score means the same with 10 or 100,000 stored facts.
 */
public record Fusion(double bm25Weight, double knnWeight, int candidates) {
    public Fusion {
        if (bm25Weight < 0 || knnWeight < 0 || bm25Weight + knnWeight <= 0) {
            throw new IllegalArgumentException("fusion weights must be >= 0 with a positive sum, got bm25 "
                    + bm25Weight + ", knn " + knnWeight);
        }
        if (candidates < 1) {
            throw new IllegalArgumentException("candidates must be >= 1, got " + candidates);
        }
    }

    public double fuse(double bm25, double cosine) {
        return bm25Weight * bm25 + knnWeight * cosine;
    }
}
