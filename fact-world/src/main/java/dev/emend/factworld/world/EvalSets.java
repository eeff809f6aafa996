package dev.emend.factworld.world;

import dev.emend.core.runtime.ScoreItem;
import java.util.List;

/**
 * What {@code facts-check} scores after training: {@code recall} is every fact under every template
 * and question; {@code inContext} puts a counterfactual object in a {@code "New fact: "} line and
 * expects it back (objects held out from the training corpus' examples where the relation allows);
 * {@code robustness} puts an unrelated new fact in context and expects the true object.
 */
public record EvalSets(List<ScoreItem> recall, List<ScoreItem> inContext, List<ScoreItem> robustness) {

    public EvalSets {
        recall = List.copyOf(recall);
        inContext = List.copyOf(inContext);
        robustness = List.copyOf(robustness);
    }
}
