package dev.emend.association.grace;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.Projection;

/**
 * Inference side of a GRACE codebook: at its site (a layer's MLP down- or up-projection), every position's input
 * is a query; a position whose nearest key lies within that key's ε has its output replaced by the
 * key's value. {@code replace_last} replaces the matched position only, {@code replace_all} every
 * position of that row in this forward call, {@code replace_prompt} the positions before it.
 *
 * <p>Deviation from the reference: EasyEdit's adapter takes the query at one remembered token
 * index ({@code key_id}, the input's last token at inference), which in teacher-forced scoring is
 * the last target token, not the prompt's last token. Checking every position is exact at the
 * edited prompt's last token whether the model scores, generates with a KV cache or without.
 */
public final class GraceHook implements LayerHook {
    private final GraceCodebook codebook;

    public GraceHook(GraceCodebook codebook) {
        this.codebook = codebook;
    }

    @Override
    public NDArray projection(int layer, Projection projection, NDArray input, NDArray output, HookContext ctx) {
        if (layer != codebook.site().layer() || projection != codebook.site().projection() || codebook.size() == 0) {
            return output;
        }
        Shape s = input.getShape();
        int b = Math.toIntExact(s.get(0));
        int t = Math.toIntExact(s.get(1));
        int rows = b * t;
        int[] match = codebook.matchRows(input.reshape(rows, s.get(2)));
        boolean any = false;
        for (int m : match) {
            any |= m >= 0;
        }
        if (!any) {
            return output;
        }
        int d = codebook.valueSize();
        int[] chosen = new int[rows];
        java.util.Arrays.fill(chosen, -1);
        String mode = codebook.replacement();
        for (int r = 0; r < b; r++) {
            for (int p = 0; p < t; p++) {
                int j = match[r * t + p];
                if (j < 0) {
                    continue;
                }
                switch (mode) {
                    case "replace_all" -> {
                        for (int q = 0; q < t; q++) {
                            chosen[r * t + q] = j;
                        }
                    }
                    case "replace_prompt" -> {
                        for (int q = 0; q < p; q++) {
                            chosen[r * t + q] = j;
                        }
                    }
                    default -> chosen[r * t + p] = j;
                }
            }
        }
        float[] vals = new float[rows * d];
        float[] mask = new float[rows];
        for (int i = 0; i < rows; i++) {
            if (chosen[i] >= 0) {
                System.arraycopy(codebook.valueOf(chosen[i]), 0, vals, i * d, d);
                mask[i] = 1f;
            }
        }
        NDManager m = output.getManager();
        NDArray keep = m.create(mask, new Shape(b, t, 1));
        NDArray replaced = m.create(vals, new Shape(b, t, d));
        return output.mul(keep.neg().add(1f)).add(replaced.mul(keep));
    }
}
