package dev.emend.mastery.kn;

/**
 * KN's hyperparameters, named as in EasyEdit's {@code KNHyperParams} (Java camel case here).
 *
 * @param steps             integrated-gradient steps: the activation is scaled by linspace(0, 1, steps)
 * @param batchSize         scaled copies per forward pass; must divide {@code steps} (EasyEdit asserts it)
 * @param adaptiveThreshold a neuron is a coarse knowledge neuron of a prompt when its attribution
 *                          exceeds this fraction of the largest attribution over all layers
 * @param p                 with {@code refine}, a neuron is kept when more than p·(prompts) prompts share it
 * @param refine            keep only neurons shared by more than p of the prompts (EasyEdit's default: false)
 */
public record KnHyperParams(int steps, int batchSize, double adaptiveThreshold, double p, boolean refine) {
    public KnHyperParams {
        if (steps < 1) {
            throw new IllegalArgumentException("steps: must be at least 1, got " + steps);
        }
        if (batchSize < 1 || steps % batchSize != 0) {
            throw new IllegalArgumentException("batch_size: must be at least 1 and divide steps (" + steps + "), got "
                    + batchSize);
        }
        if (!(adaptiveThreshold > 0 && adaptiveThreshold <= 1)) {
            throw new IllegalArgumentException("adaptive_threshold: must be in (0, 1], got " + adaptiveThreshold);
        }
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("p: must be in [0, 1), got " + p);
        }
    }
}
