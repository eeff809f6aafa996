package dev.emend.association.wise;

import java.util.Arrays;
import java.util.List;

/**
 * TIES merging (Yadav et al. 2023) of task vectors, as WISE merges its side-memory shards
 * (EasyEdit's {@code GTA('magnitude', 'sum', normalize=True)}): each delta keeps only its
 * {@code density} fraction of largest-magnitude entries, is scaled by its weight, every entry's
 * sign is elected by the sign of the weighted sum, and the entries that agree with the elected
 * sign are averaged (sum divided by the sum of the agreeing weights).
 */
public final class Ties {
    private Ties() {
    }

    public static float[] merge(List<float[]> deltas, double[] weights, double density) {
        if (deltas.isEmpty()) {
            throw new IllegalArgumentException("nothing to merge");
        }
        int n = deltas.get(0).length;
        float[][] trimmed = new float[deltas.size()][];
        for (int i = 0; i < deltas.size(); i++) {
            trimmed[i] = trim(deltas.get(i), density);
        }
        float[] out = new float[n];
        for (int k = 0; k < n; k++) {
            double sum = 0;
            for (int i = 0; i < trimmed.length; i++) {
                sum += weights[i] * trimmed[i][k];
            }
            double majority = sum >= 0 ? 1 : -1;
            double mixed = 0;
            double divisor = 0;
            for (int i = 0; i < trimmed.length; i++) {
                double w = weights[i] * trimmed[i][k];
                if (Math.signum(w) == majority) {
                    mixed += w;
                    divisor += weights[i];
                }
            }
            out[k] = (float) (mixed / (divisor == 0 ? 1 : divisor));
        }
        return out;
    }

    /** Keeps the {@code density} fraction of entries with the largest magnitude. */
    static float[] trim(float[] delta, double density) {
        int keep = (int) (density * delta.length);
        if (keep >= delta.length) {
            return delta.clone();
        }
        float[] out = new float[delta.length];
        if (keep <= 0) {
            return out;
        }
        float[] mags = new float[delta.length];
        for (int i = 0; i < delta.length; i++) {
            mags[i] = Math.abs(delta[i]);
        }
        float[] sorted = mags.clone();
        Arrays.sort(sorted);
        float threshold = sorted[delta.length - keep];
        int kept = 0;
        // entries strictly above the threshold first, then ties in index order, so exactly `keep` survive
        for (int i = 0; i < delta.length; i++) {
            if (mags[i] > threshold) {
                out[i] = delta[i];
                kept++;
            }
        }
        for (int i = 0; i < delta.length && kept < keep; i++) {
            if (mags[i] == threshold) {
                out[i] = delta[i];
                kept++;
            }
        }
        return out;
    }
}
