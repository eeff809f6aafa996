package dev.emend.mastery.rome;

import dev.emend.core.model.ModelConfig;
import java.util.List;

/**
 * ROME's hyperparameters, named as in EasyEdit's {@code ROMEHyperParams} (Java camel case here,
 * the snake-case name in every error message). Model-independent checks run on construction;
 * {@link #validate(ModelConfig)} adds the ones that need the model (layer range, loss layer).
 *
 * @param layers the one layer whose MLP down-projection is edited
 * @param factToken where the subject is read: {@code subject_last}, {@code subject_first} or {@code last}
 * @param vNumGradSteps iterations of the δ optimisation (at most one fewer Adam steps are taken)
 * @param vLr Adam learning rate for δ
 * @param vLossLayer must be the last layer: the loss is read from the output logits
 * @param vWeightDecay weight of the ‖δ‖ / ‖v₀‖² penalty (EasyEdit's form: norm, not squared)
 * @param clampNormFactor ‖δ‖ is projected back to at most this factor times ‖v₀‖ after each step
 * @param klFactor weight of KL(P_δ ‖ P₀) on "{subject} is a" at the subject position
 * @param mom2Adjustment u = C⁻¹k* (true) or u = k*
 * @param mom2UpdateWeight kept for EasyEdit compatibility (MEMIT uses it); ROME does not
 * @param mom2NSamples corpus documents used for C (part of the statistics cache key)
 * @param contextTemplateLengthParams pairs [tokens, count] of self-generated context prefixes
 * @param rRome R-ROME: the update's key and W k are averaged over the same prefixes as k*
 */
public record RomeHyperParams(List<Integer> layers, String factToken, int vNumGradSteps, double vLr, int vLossLayer,
                              double vWeightDecay, double clampNormFactor, double klFactor, boolean mom2Adjustment,
                              double mom2UpdateWeight, int mom2NSamples, List<List<Integer>> contextTemplateLengthParams,
                              boolean rRome) {

    public static final List<String> FACT_TOKENS = List.of("subject_last", "subject_first", "last");

    public RomeHyperParams {
        if (layers == null || layers.size() != 1 || layers.get(0) == null) {
            throw invalid("layers", "ROME edits exactly one layer; give one index", layers);
        }
        if (layers.get(0) < 0) {
            throw invalid("layers", "must be a layer index >= 0", layers);
        }
        layers = List.copyOf(layers);
        checkValueStep("ROME", factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor, klFactor,
                mom2UpdateWeight);
        if (mom2NSamples < 1) {
            throw invalid("mom2_n_samples", "must be at least 1", mom2NSamples);
        }
        if (contextTemplateLengthParams == null) {
            throw invalid("context_template_length_params", "must be a list of [length, count] pairs", null);
        }
        for (List<Integer> p : contextTemplateLengthParams) {
            if (p == null || p.size() != 2 || p.get(0) == null || p.get(1) == null || p.get(0) < 1 || p.get(1) < 0) {
                throw invalid("context_template_length_params",
                        "each entry must be [length >= 1, count >= 0]", contextTemplateLengthParams);
            }
        }
        contextTemplateLengthParams = contextTemplateLengthParams.stream().map(List::copyOf).toList();
    }

    /** The edited layer. */
    public int layer() {
        return layers.get(0);
    }

    /** The method name records and tables use. */
    public String methodName() {
        return rRome ? "R-ROME" : "ROME";
    }

    /** Checks the fields that depend on the model. */
    public RomeHyperParams validate(ModelConfig config) {
        int n = config.numLayers();
        if (layer() >= n) {
            throw invalid("layers", "the model has layers 0.." + (n - 1), layers);
        }
        if (vLossLayer != n - 1) {
            throw invalid("v_loss_layer", "must be the model's last layer (" + (n - 1)
                    + "): the loss is read from the output logits", vLossLayer);
        }
        return this;
    }

    /**
     * Defaults that edit a small model (see ALGORITHMS.md "Measured on a small model"): the GPT-2
     * XL weight decay of 0.5 swamps the NLL when MLP outputs are small, so 1e-3; 60 steps and a
     * clamp of 8·‖v₀‖ give δ room to move the output.
     */
    public static RomeHyperParams smallModel(int layer, int numLayers) {
        return new RomeHyperParams(List.of(layer), "subject_last", 60, 0.5, numLayers - 1, 1e-3, 8.0, 0.0625, true,
                15000, 100_000, List.of(List.of(5, 10)), false);
    }

    /** EasyEdit's {@code hparams/ROME/gpt2-xl.yaml}. */
    public static RomeHyperParams gpt2Xl() {
        return new RomeHyperParams(List.of(17), "subject_last", 20, 0.5, 47, 0.5, 4.0, 0.0625, true, 15000, 100_000,
                List.of(List.of(5, 10), List.of(10, 10)), false);
    }

    public RomeHyperParams withLayer(int layer) {
        return new RomeHyperParams(List.of(layer), factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, mom2Adjustment, mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams, rRome);
    }

    public RomeHyperParams withRRome(boolean on) {
        return new RomeHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, mom2Adjustment, mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams, on);
    }

    public RomeHyperParams withMom2Adjustment(boolean on) {
        return new RomeHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, on, mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams, rRome);
    }

    public RomeHyperParams withOptimisation(int steps, double lr, double weightDecay, double clamp, double kl) {
        return new RomeHyperParams(layers, factToken, steps, lr, vLossLayer, weightDecay, clamp, kl, mom2Adjustment,
                mom2UpdateWeight, mom2NSamples, contextTemplateLengthParams, rRome);
    }

    public RomeHyperParams withContextTemplates(List<List<Integer>> lengthParams) {
        return new RomeHyperParams(layers, factToken, vNumGradSteps, vLr, vLossLayer, vWeightDecay, clampNormFactor,
                klFactor, mom2Adjustment, mom2UpdateWeight, mom2NSamples, lengthParams, rRome);
    }

    private static IllegalArgumentException invalid(String field, String rule, Object value) {
        return invalid("ROME", field, rule, value);
    }

    private static IllegalArgumentException invalid(String method, String field, String rule, Object value) {
        return new IllegalArgumentException("invalid " + method + " hyperparameter '" + field + "': " + rule + " (got " + value + ")");
    }

    /**
     * The checks of the value step's settings that ROME and MEMIT (and through MEMIT, AlphaEdit)
     * share; {@code method} names the method in the message.
     */
    public static void checkValueStep(String method, String factToken, int vNumGradSteps, double vLr, int vLossLayer,
                                      double vWeightDecay, double clampNormFactor, double klFactor, double mom2UpdateWeight) {
        if (factToken == null || !FACT_TOKENS.contains(factToken)) {
            throw invalid(method, "fact_token", "must be one of " + FACT_TOKENS, factToken);
        }
        if (vNumGradSteps < 1) {
            throw invalid(method, "v_num_grad_steps", "must be at least 1", vNumGradSteps);
        }
        if (!(vLr > 0) || Double.isInfinite(vLr)) {
            throw invalid(method, "v_lr", "must be a finite number > 0", vLr);
        }
        if (vLossLayer < 0) {
            throw invalid(method, "v_loss_layer", "must be the model's last layer index", vLossLayer);
        }
        if (!(vWeightDecay >= 0) || Double.isInfinite(vWeightDecay)) {
            throw invalid(method, "v_weight_decay", "must be a finite number >= 0", vWeightDecay);
        }
        if (!(clampNormFactor > 0) || Double.isInfinite(clampNormFactor)) {
            throw invalid(method, "clamp_norm_factor", "must be a finite number > 0", clampNormFactor);
        }
        if (!(klFactor >= 0) || Double.isInfinite(klFactor)) {
            throw invalid(method, "kl_factor", "must be a finite number >= 0", klFactor);
        }
        if (!(mom2UpdateWeight >= 0) || Double.isInfinite(mom2UpdateWeight)) {
            throw invalid(method, "mom2_update_weight", "must be a finite number >= 0", mom2UpdateWeight);
        }
    }
}
