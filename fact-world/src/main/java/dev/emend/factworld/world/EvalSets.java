package dev.emend.factworld.world;

import dev.emend.core.runtime.ScoreItem;
import java.util.List;

/**
 * What {@code facts-check} scores after training: {@code recall} is every fact under every trained
 * template and question; {@code inContext} puts a counterfactual object in a {@code "New fact: "}
 * line and expects it back (objects held out from the training corpus' examples where the relation
 * allows); {@code robustness} puts an unrelated new fact in context and expects the true object;
 * {@code heldOut} is every fact under every held-out template (generation 2; empty in generation 1),
 * paraphrases the model never saw.
 */
public record EvalSets(List<ScoreItem> recall, List<ScoreItem> inContext, List<ScoreItem> robustness,
                       List<ScoreItem> heldOut) {

    public EvalSets {
        recall = List.copyOf(recall);
        inContext = List.copyOf(inContext);
        robustness = List.copyOf(robustness);
        heldOut = List.copyOf(heldOut);
    }

    public EvalSets(List<ScoreItem> recall, List<ScoreItem> inContext, List<ScoreItem> robustness) {
        this(recall, inContext, robustness, List.of());
    }
}
