package dev.emend.mastery.ft;

import dev.emend.core.model.ModelConfig;
import java.util.List;

/**
 * FT-L / FT-M hyperparameters, named as in EasyEdit's {@code FTHyperParams} (Java camel case
 * here, the snake-case name in every error message). The trained matrices are the MLP
 * down-projections (EasyEdit's {@code rewrite_module_tmp}; the family's
 * {@code DecoderModel.mlpDown}) of {@link #layers}.
 *
 * @param layers layers whose W_out is fine-tuned (distinct indices, at least one)
 * @param numSteps Adam epochs over the requests (EasyEdit {@code num_steps}, 25)
 * @param lr Adam learning rate (5e-4)
 * @param normConstraint after each step W is clamped to W₀ ± this, elementwise; {@code <= 0}
 *                       means no constraint (FT-M runs without one)
 * @param objectiveOptimization {@code prompt_last} (FT-L: −mean log P(target tokens) all read
 *                              at the last prompt position) or {@code target_new} (FT-M:
 *                              teacher-forced cross-entropy over the target, prompt masked)
 * @param batchSize requests per Adam step (a step walks over all chunks of this size)
 */
public record FtHyperParams(List<Integer> layers, int numSteps, double lr, double normConstraint,
                            String objectiveOptimization, int batchSize) {

    public static final List<String> OBJECTIVES = List.of("prompt_last", "target_new");
    /** EasyEdit's early stop: the epoch's mean loss is below this. */
    public static final double STOP_LOSS = 1e-2;

    public FtHyperParams {
        if (layers == null || layers.isEmpty() || layers.stream().anyMatch(l -> l == null)) {
            throw invalid("layers", "give at least one layer index", layers);
        }
        if (layers.stream().anyMatch(l -> l < 0)) {
            throw invalid("layers", "must be layer indices >= 0", layers);
        }
        if (layers.stream().distinct().count() != layers.size()) {
            throw invalid("layers", "must not repeat a layer", layers);
        }
        layers = List.copyOf(layers);
        if (numSteps < 1) {
            throw invalid("num_steps", "must be at least 1", numSteps);
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw invalid("lr", "must be a finite number > 0", lr);
        }
        if (Double.isNaN(normConstraint) || Double.isInfinite(normConstraint)) {
            throw invalid("norm_constraint", "must be a finite number (<= 0 for none)", normConstraint);
        }
        if (objectiveOptimization == null || !OBJECTIVES.contains(objectiveOptimization)) {
            throw invalid("objective_optimization", "must be one of " + OBJECTIVES, objectiveOptimization);
        }
        if (batchSize < 1) {
            throw invalid("batch_size", "must be at least 1", batchSize);
        }
    }

    /** FT-L as in EasyEdit's GPT-2 XL config: one layer, 25 steps, lr 5e-4, ε 5e-4, prompt_last. */
    public static FtHyperParams ftL(int layer) {
        return new FtHyperParams(List.of(layer), 25, 5e-4, 5e-4, "prompt_last", 1);
    }

    /** FT-M: one layer, 25 steps, lr 5e-4, no norm constraint, target_new. */
    public static FtHyperParams ftM(int layer) {
        return new FtHyperParams(List.of(layer), 25, 5e-4, 0, "target_new", 1);
    }

    /** "FT-M" for target_new, "FT-L" for prompt_last. */
    public String methodName() {
        return isTargetNew() ? "FT-M" : "FT-L";
    }

    public boolean isTargetNew() {
        return "target_new".equals(objectiveOptimization);
    }

    public boolean constrained() {
        return normConstraint > 0;
    }

    /** Checks the layer range against the model. */
    public FtHyperParams validate(ModelConfig config) {
        int n = config.numLayers();
        if (layers.stream().anyMatch(l -> l >= n)) {
            throw invalid("layers", "the model has layers 0.." + (n - 1), layers);
        }
        return this;
    }

    public FtHyperParams withLayers(List<Integer> l) {
        return new FtHyperParams(l, numSteps, lr, normConstraint, objectiveOptimization, batchSize);
    }

    public FtHyperParams withOptimisation(int steps, double learningRate, double constraint) {
        return new FtHyperParams(layers, steps, learningRate, constraint, objectiveOptimization, batchSize);
    }

    public FtHyperParams withBatchSize(int size) {
        return new FtHyperParams(layers, numSteps, lr, normConstraint, objectiveOptimization, size);
    }

    private static IllegalArgumentException invalid(String field, String rule, Object value) {
        return new IllegalArgumentException("invalid FT hyperparameter '" + field + "': " + rule + " (got " + value + ")");
    }
}
