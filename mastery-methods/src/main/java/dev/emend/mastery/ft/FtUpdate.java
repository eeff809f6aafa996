package dev.emend.mastery.ft;

import java.util.List;

/**
 * A fine-tuning edit: for each trained matrix, ΔW = W_trained − W₀ in the checkpoint's storage
 * layout. Applying adds ΔW; reverting subtracts it.
 *
 * @param steps Adam epochs run (fewer than num_steps when the loss fell below 1e-2)
 * @param initialLoss the objective before training (first epoch's mean)
 * @param finalLoss the objective at the last epoch evaluated
 */
public record FtUpdate(String method, List<LayerDelta> deltas, int steps, double initialLoss, double finalLoss) {

    public FtUpdate {
        deltas = List.copyOf(deltas);
    }

    /** ΔW of one layer's down-projection, row-major with {@code shape}. */
    public record LayerDelta(int layer, String weightName, long[] shape, float[] delta) {
        /** max |ΔW| over the elements. */
        public double maxAbs() {
            double m = 0;
            for (float f : delta) {
                m = Math.max(m, Math.abs(f));
            }
            return m;
        }

        /** Frobenius norm of ΔW. */
        public double norm() {
            double s = 0;
            for (float f : delta) {
                s += (double) f * f;
            }
            return Math.sqrt(s);
        }
    }
}
