package dev.emend.mastery.alphaedit;

import dev.emend.mastery.memit.MemitUpdate;
import java.util.List;

/**
 * An AlphaEdit batch edit: the weight change in MEMIT's compact per-layer low-rank form
 * (ΔW_l = A·B, B's rows in the null space of the preserved keys), plus the keys this batch adds
 * to the {@link AlphaEditMemory} once it is committed: per edited layer, each request's MLP key
 * (mean over the context templates) recomputed on the edited model, as the reference does.
 * Storing the keys lets a service rebuild the memory by replaying committed edits without running
 * the model.
 */
public record AlphaEditUpdate(MemitUpdate weights, List<LayerKeys> memoryKeys) {

    /** {@code n} keys of size {@code dff}, row-major. */
    public record LayerKeys(int layer, int n, int dff, float[] keys) {
        public LayerKeys {
            if (keys.length != (long) n * dff) {
                throw new IllegalArgumentException("layer " + layer + ": " + n + " keys of " + dff + " need " + (long) n * dff
                        + " values, got " + keys.length);
            }
        }
    }
}
