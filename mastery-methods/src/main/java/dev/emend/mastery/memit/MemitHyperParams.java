package dev.emend.mastery.memit;

import dev.emend.core.model.ModelConfig;
import dev.emend.mastery.rome.RomeHyperParams;
import java.util.ArrayList;
import java.util.List;

/**
 * MEMIT's hyperparameters, named as in EasyEdit's {@code MEMITHyperParams} (camel case here, the
 * snake-case name in every error message).
 *
 * @param layers the edited layers, strictly ascending; z is computed at the last one
 * @param factToken {@code subject_last}, {@code subject_first} or {@code last}
 * @param vNumGradSteps iterations of the z (δ) optimisation
 * @param vLr Adam learning rate for δ
 * @param vLossLayer must be the model's last layer (the loss is read from the logits)
 * @param vWeightDecay weight of the ‖δ‖ / ‖h‖² penalty
 * @param clampNormFactor ‖δ‖ ≤ this factor times ‖h‖, h the residual at the last edited layer
 * @param klFactor weight of KL(P_δ ‖ P₀) on "{subject} is a"
 * @param mom2Adjustment use λC in the solve (true) or only K Kᵀ plus a tiny ridge (false)
 * @param mom2UpdateWeight λ in ΔW = R Kᵀ (λC + K Kᵀ)⁻¹
 * @param mom2NSamples corpus documents used for C
 * @param contextTemplateLengthParams pairs [tokens, count] of self-generated context prefixes
 */
public record MemitHyperParams(List<Integer> layers, String factToken, int vNumGradSteps, double vLr, int vLossLayer,
                               double vWeightDecay, double clampNormFactor, double klFactor, boolean mom2Adjustment,
                               double mom2UpdateWeight, int mom2NSamples, List<List<Integer>> contextTemplateLengthParams) {

    public MemitHyperParams {
        if (layers == null || layers.isEmpty()) {
            throw invalid("layers", "give at least one layer index", layers);
        }
        for (int i = 0; i < layers.size(); i++) {
            Integer l = layers.get(i);
            if (l == null || l < 0) {
                throw invalid("layers", "every entry must be a layer index >= 0", layers);
            }
            if (i > 0 && l <= layers.get(i - 1)) {
                throw invalid("layers", "must be strictly ascending without repeats", layers);
            }
        }
        layers = List.copyOf(layers);
        RomeHyperParams.checkValueStep("MEMIT", factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, mom2UpdateWeight);
        if (mom2Adjustment && mom2UpdateWeight == 0) {
            throw invalid("mom2_update_weight", "must be > 0 when mom2_adjustment is on", mom2UpdateWeight);
        }
        if (mom2NSamples < 1) {
            throw invalid("mom2_n_samples", "must be at least 1", mom2NSamples);
        }
        if (contextTemplateLengthParams == null) {
            throw invalid("context_template_length_params", "must be a list of [length, count] pairs", null);
        }
        for (List<Integer> p : contextTemplateLengthParams) {
            if (p == null || p.size() != 2 || p.get(0) == null || p.get(1) == null || p.get(0) < 1 || p.get(1) < 0) {
                throw invalid("context_template_length_params", "each entry must be [length >= 1, count >= 0]",
                        contextTemplateLengthParams);
            }
        }
        contextTemplateLengthParams = contextTemplateLengthParams.stream().map(List::copyOf).toList();
    }

    /** The reference's context prefixes, hard-coded in {@code memit_main.py}: 5 of 10 tokens. */
    public static final List<List<Integer>> REFERENCE_CONTEXT_TEMPLATES = List.of(List.of(10, 5));

    /**
     * Per context template, in the order the z-step lists them ("{}", then each pair's prefixes),
     * its weight in a request's key: 1 / types for "{}" and 1 / (types × count) for a prefix of a
     * pair, types being "{}" plus the pairs with a count above 0 (the reference's mean within each
     * context type, then over the types; an empty type would be NaN there and is left out here).
     *
     * @param templates how many templates the z-step uses (1 + the pairs' counts)
     */
    public double[] keyTemplateWeights(int templates) {
        List<Integer> counts = contextTemplateLengthParams.stream().map(p -> p.get(1)).filter(c -> c > 0).toList();
        int expected = 1 + counts.stream().mapToInt(Integer::intValue).sum();
        if (templates != expected) {
            throw new IllegalArgumentException("context_template_length_params " + contextTemplateLengthParams + " make "
                    + expected + " templates, not " + templates);
        }
        double types = 1 + counts.size();
        double[] w = new double[templates];
        w[0] = 1 / types;
        int at = 1;
        for (int c : counts) {
            for (int i = 0; i < c; i++) {
                w[at++] = 1 / (types * c);
            }
        }
        return w;
    }

    /** The last edited layer, where z is computed. */
    public int lastLayer() {
        return layers.get(layers.size() - 1);
    }

    /** Checks the fields that depend on the model. */
    public MemitHyperParams validate(ModelConfig config) {
        int n = config.numLayers();
        if (lastLayer() >= n) {
            throw invalid("layers", "the model has layers 0.." + (n - 1), layers);
        }
        if (vLossLayer != n - 1) {
            throw invalid("v_loss_layer", "must be the model's last layer (" + (n - 1) + ")", vLossLayer);
        }
        return this;
    }

    /**
     * The z-step settings as ROME hyperparameters at the last edited layer (ROME's context
     * templates, tokenization and δ loop are shared).
     */
    public RomeHyperParams zStep() {
        return new RomeHyperParams(List.of(lastLayer()), factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay,
                clampNormFactor, klFactor, false, mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams, false);
    }

    /**
     * Defaults for a small model. z-step as ROME's small-model defaults except the clamp, which
     * is MEMIT's 0.75·‖h‖ (h is the residual, far larger than an MLP output). λ = 10, measured:
     * on emend-facts (6 layers, d_ff 1024, C from 134k tokens of fact sentences), GPT-2 XL's
     * 20000 scaled by d_ff / 6400 (3200) writes nothing measurable (Edit Succ = pre-edit), 100
     * gives Edit Succ 47.3 and 10 gives 59.8 at layers [0, 1] with locality ≥ 95 (see the README).
     * The corpus keys are in-distribution for the fact prompts, so kᵀC⁻¹k is small and a large λ
     * lets C swamp K Kᵀ. {@code dff} is kept for callers; the default does not depend on it.
     */
    public static MemitHyperParams smallModel(List<Integer> layers, int numLayers, int dff) {
        return new MemitHyperParams(layers, "subject_last", 60, 0.5, numLayers - 1, 1e-3, 0.75, 0.0625, true, 10,
                100_000, REFERENCE_CONTEXT_TEMPLATES);
    }

    /** EasyEdit's {@code hparams/MEMIT/gpt2-xl.yaml}. */
    public static MemitHyperParams gpt2Xl() {
        return new MemitHyperParams(List.of(13, 14, 15, 16, 17), "subject_last", 20, 0.5, 47, 0.5, 0.75, 0.0625, true, 20000,
                100_000, REFERENCE_CONTEXT_TEMPLATES);
    }

    public MemitHyperParams withLayers(List<Integer> l) {
        return new MemitHyperParams(new ArrayList<>(l), factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay,
                clampNormFactor, klFactor, mom2Adjustment, mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams);
    }

    public MemitHyperParams withFactToken(String t) {
        return new MemitHyperParams(layers, t, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor, klFactor,
                mom2Adjustment, mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams);
    }

    public MemitHyperParams withOptimisation(int steps, double lr, double weightDecay, double clamp, double kl) {
        return new MemitHyperParams(layers, factToken, steps, lr, vLossLayer, weightDecay, clamp, kl, mom2Adjustment,
                mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams);
    }

    public MemitHyperParams withMom2(boolean on, double lambda) {
        return new MemitHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, on, lambda, mom2NSamples, contextTemplateLengthParams);
    }

    private static IllegalArgumentException invalid(String field, String rule, Object value) {
        return new IllegalArgumentException("invalid MEMIT hyperparameter '" + field + "': " + rule + " (got " + value + ")");
    }
}
