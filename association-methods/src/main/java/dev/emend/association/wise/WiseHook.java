package dev.emend.association.wise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.Projection;
import java.util.List;

/**
 * WISE's router at inference: for each row, the activation difference of every side memory,
 * Δ_k(x) = mean over the row's positions of ‖act(out + x·D_k) − act(out)‖ (or ‖x·D_k‖ with
 * {@code activation_distance} off; the top position when the row is longer
 * than 100 tokens, as the reference), and the row's output of the wrapped projection becomes
 * out + x·D_k for the memory with the largest Δ_k above its threshold, else stays the main
 * memory's. Rows are taken whole, so callers score one sequence per forward call and generate
 * without a KV cache (the decision is about the whole input, as in the reference).
 */
public final class WiseHook implements LayerHook {
    private final WiseMemory memory;

    public WiseHook(WiseMemory memory) {
        this.memory = memory;
    }

    @Override
    public NDArray projection(int layer, Projection projection, NDArray input, NDArray output, HookContext ctx) {
        if (layer != memory.site().layer() || projection != memory.site().projection()) {
            return output;
        }
        List<WiseMemory.Memory> ms = memory.routable();
        if (ms.isEmpty()) {
            return output;
        }
        Shape s = input.getShape();
        int b = Math.toIntExact(s.get(0));
        int t = Math.toIntExact(s.get(1));
        NDArray[] sides = new NDArray[ms.size()];
        double[] best = new double[b];
        int[] choice = new int[b];
        java.util.Arrays.fill(choice, -1);
        java.util.Arrays.fill(best, Double.NEGATIVE_INFINITY);
        for (int k = 0; k < ms.size(); k++) {
            sides[k] = input.matMul(ms.get(k).array);
            NDArray norms = WiseEditor.distance(memory.activation(), output, sides[k]).norm(new int[] {2});
            float[] act = (t > 100 ? norms.max(new int[] {1}) : norms.mean(new int[] {1})).toFloatArray();
            double thr = memory.threshold(ms.get(k));
            for (int r = 0; r < b; r++) {
                if (act[r] > thr && act[r] > best[r]) {
                    best[r] = act[r];
                    choice[r] = k;
                }
            }
        }
        NDManager m = output.getManager();
        NDArray result = output;
        for (int k = 0; k < ms.size(); k++) {
            float[] sel = new float[b];
            boolean any = false;
            for (int r = 0; r < b; r++) {
                if (choice[r] == k) {
                    sel[r] = 1f;
                    any = true;
                }
            }
            if (any) {
                result = result.add(sides[k].mul(m.create(sel, new Shape(b, 1, 1))));
            }
        }
        return result;
    }
}
