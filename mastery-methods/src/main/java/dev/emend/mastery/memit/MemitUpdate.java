package dev.emend.mastery.memit;

import dev.emend.core.model.WeightLayout;
import java.util.List;

/**
 * A MEMIT batch edit in compact form: one low-rank factor pair per edited layer.
 *
 * @param layers the per-layer updates, in the (ascending) order they were solved and applied
 * @param deltaNorms ‖δᵢ‖ per request (δᵢ = zᵢ − hᵢ at the last edited layer)
 * @param residualNorms ‖hᵢ‖ per request, the clamp's reference
 * @param steps z optimisation iterations per request
 * @param targetProbabilities mean target probability over the rewriting prompts at the end of each z-step
 */
public record MemitUpdate(String method, List<LayerDelta> layers, double[] deltaNorms, double[] residualNorms, int[] steps,
                          double[] targetProbabilities) {

    /**
     * ΔW_l = A·B in math orientation (W maps a d_ff key to a d_model value): A = R is
     * d_model × n (row-major), B = (M⁻¹K)ᵀ is n × d_ff (row-major), n the batch size, so the
     * rank is at most n. Storage: GPT-2's Conv1D ({@code IN_OUT}, [d_ff, d_model]) receives
     * (A·B)ᵀ = Bᵀ·Aᵀ; a Linear ({@code OUT_IN}, [d_model, d_ff]) receives A·B.
     */
    public record LayerDelta(int layer, String weightName, WeightLayout layout, int rank, int dModel, int dff, float[] a,
                             float[] b) {}
}
