package dev.emend.mastery.alphaedit;

import dev.emend.core.model.ModelConfig;
import dev.emend.mastery.memit.MemitHyperParams;
import java.util.List;

/**
 * AlphaEdit's hyperparameters, named as in the reference {@code AlphaEditHyperParams} (and
 * EasyEdit's): MEMIT's fields plus {@code nullspace_threshold} and {@code L2}. Camel case here,
 * the reference name in every error message.
 *
 * @param layers the edited layers, strictly ascending; z is computed at the last one
 * @param factToken {@code subject_last}, {@code subject_first} or {@code last}
 * @param vNumGradSteps iterations of the z (δ) optimisation
 * @param vLr Adam learning rate for δ
 * @param vLossLayer must be the model's last layer
 * @param vWeightDecay weight of the ‖δ‖ / ‖h‖² penalty
 * @param clampNormFactor ‖δ‖ ≤ this factor times ‖h‖ (residual at the last edited layer)
 * @param klFactor weight of KL(P_δ ‖ P₀) on "{subject} is a"
 * @param mom2UpdateWeight kept for parity with the reference config; AlphaEdit's solve has no λC
 *                         term (the reference ignores it as well)
 * @param mom2NSamples corpus documents used for C (and therefore for the projector)
 * @param nullspaceThreshold eigenvalues of C below this (absolute, as in the reference) span the
 *                           null space the update is projected onto
 * @param l2 α in ΔWᵀ = (P(K Kᵀ + K_p K_pᵀ) + αI)⁻¹ P K Rᵀ (reference field {@code L2})
 * @param contextTemplateLengthParams pairs [tokens, count] of self-generated context prefixes
 */
public record AlphaEditHyperParams(List<Integer> layers, String factToken, int vNumGradSteps, double vLr, int vLossLayer,
                                   double vWeightDecay, double clampNormFactor, double klFactor, double mom2UpdateWeight,
                                   int mom2NSamples, double nullspaceThreshold, double l2,
                                   List<List<Integer>> contextTemplateLengthParams) {

    public AlphaEditHyperParams {
        if (!(nullspaceThreshold > 0) || Double.isInfinite(nullspaceThreshold)) {
            throw invalid("nullspace_threshold", "must be a finite number > 0", nullspaceThreshold);
        }
        if (!(l2 > 0) || Double.isInfinite(l2)) {
            throw invalid("L2", "must be a finite number > 0 (it keeps the projected system invertible)", l2);
        }
        try {
            // MEMIT's record validates the shared fields (layers, fact_token, v_*, clamp, kl, ...).
            new MemitHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor, klFactor,
                    true, mom2UpdateWeight > 0 ? mom2UpdateWeight : 1, mom2NSamples,
                    contextTemplateLengthParams);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("invalid MEMIT hyperparameter",
                    "invalid AlphaEdit hyperparameter"), e);
        }
        if (!(mom2UpdateWeight >= 0) || Double.isInfinite(mom2UpdateWeight)) {
            throw invalid("mom2_update_weight", "must be a finite number >= 0", mom2UpdateWeight);
        }
        layers = List.copyOf(layers);
        contextTemplateLengthParams = contextTemplateLengthParams.stream().map(List::copyOf).toList();
    }

    /** The shared MEMIT settings (z-step, layers, templates) this edit runs with. */
    public MemitHyperParams memit() {
        return new MemitHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor, klFactor,
                false, mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams);
    }

    public int lastLayer() {
        return layers.get(layers.size() - 1);
    }

    /** Checks the fields that depend on the model (layer range, v_loss_layer). */
    public AlphaEditHyperParams validate(ModelConfig config) {
        try {
            memit().validate(config);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("invalid MEMIT hyperparameter",
                    "invalid AlphaEdit hyperparameter"), e);
        }
        return this;
    }

    /**
     * Defaults for the small default model: MEMIT's small-model z-step (60 steps, v_lr 0.5,
     * v_weight_decay 1e-3, clamp 0.75, kl 0.0625, 10 prefixes of 5 tokens), nullspace_threshold
     * 0.1 and L2 1, measured on emend-facts (one batch of 20, layers [0, 1], README): the
     * reference's 2e-2 / 10 keep only 61 of layer 0's 1024 directions and write almost nothing
     * (Edit Succ 20.0 = pre-edit on 10 cases); 2e-2 / 1 gives 37.3, 0.1 / 1 gives 54.8 (locality
     * 95.3), 0.1 / 0.1 gives 57.3 (94.5), 2e-2 / 0.1 costs locality (80.6).
     */
    public static AlphaEditHyperParams smallModel(List<Integer> layers, int numLayers) {
        return new AlphaEditHyperParams(layers, "subject_last", 60, 0.5, numLayers - 1, 1e-3, 0.75, 0.0625, 10, 100_000,
                0.1, 1, MemitHyperParams.REFERENCE_CONTEXT_TEMPLATES);
    }

    /** The reference's {@code hparams/AlphaEdit/gpt2-xl.json}. */
    public static AlphaEditHyperParams gpt2Xl() {
        return new AlphaEditHyperParams(List.of(13, 14, 15, 16, 17), "subject_last", 20, 0.5, 47, 0.5, 0.75, 0.0625, 20000,
                100_000, 2e-2, 10, MemitHyperParams.REFERENCE_CONTEXT_TEMPLATES);
    }

    public AlphaEditHyperParams withLayers(List<Integer> l) {
        return new AlphaEditHyperParams(l, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor, klFactor,
                mom2UpdateWeight, mom2NSamples, nullspaceThreshold, l2, contextTemplateLengthParams);
    }

    public AlphaEditHyperParams withFactToken(String t) {
        return new AlphaEditHyperParams(layers, t, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor, klFactor,
                mom2UpdateWeight, mom2NSamples, nullspaceThreshold, l2, contextTemplateLengthParams);
    }

    public AlphaEditHyperParams withOptimisation(int steps, double lr, double weightDecay, double clamp, double kl) {
        return new AlphaEditHyperParams(layers, factToken, steps, lr, vLossLayer, weightDecay, clamp, kl, mom2UpdateWeight,
                mom2NSamples, nullspaceThreshold, l2, contextTemplateLengthParams);
    }

    public AlphaEditHyperParams withNullSpace(double threshold, double alpha) {
        return new AlphaEditHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, mom2UpdateWeight, mom2NSamples, threshold, alpha, contextTemplateLengthParams);
    }

    public AlphaEditHyperParams withTemplates(List<List<Integer>> params) {
        return new AlphaEditHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, mom2UpdateWeight, mom2NSamples, nullspaceThreshold, l2, params);
    }

    public AlphaEditHyperParams withSamples(int samples) {
        return new AlphaEditHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, mom2UpdateWeight, samples, nullspaceThreshold, l2, contextTemplateLengthParams);
    }

    private static IllegalArgumentException invalid(String field, String rule, Object value) {
        return new IllegalArgumentException("invalid AlphaEdit hyperparameter '" + field + "': " + rule + " (got " + value + ")");
    }
}
