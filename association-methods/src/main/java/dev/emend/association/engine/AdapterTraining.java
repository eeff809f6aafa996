package dev.emend.association.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.grad.Adam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.List;

/**
 * The training loop LoRA and AdaLoRA share: Adam on flat Java parameters, FT-M's objective (the
 * teacher-forced cross-entropy over the target tokens, {@link TargetBatch#targetLoss}) through the
 * space's current view with one more hook that adds each target's update, plus the
 * parametrisation's regulariser. Weights change only in Java, after the loss graph is done.
 * Training stops after {@code maxSteps} optimiser steps, or earlier once the target loss is below
 * {@link #STOP_LOSS} and the parametrisation allows it.
 */
public final class AdapterTraining {
    /** Early-stop threshold on the target cross-entropy. */
    public static final double STOP_LOSS = 1e-2;

    /** What an adapter method trains: flat parameters and how they make each target's update. */
    public interface Parametrisation {
        /** The trainable parameters, flat, updated in place. */
        float[][] parameters();

        /** The shape of each parameter. */
        Shape shape(int parameter);

        /** The update of target {@code t} for input {@code x}, from the parameters as arrays. */
        NDArray delta(int t, NDArray x, NDArray[] params);

        /** A term added to the loss (AdaLoRA's orthogonality), or null for none. */
        default NDArray regulariser(NDManager m, NDArray[] params) {
            return null;
        }

        /** Called after optimiser step {@code step} (1-based) with that step's gradients. */
        default void afterStep(int step, float[][] grads) {
        }

        /** Whether training may stop early after {@code stepsDone} optimiser steps. */
        default boolean mayStop(int stepsDone) {
            return true;
        }
    }

    /** Optimiser steps taken and the target loss before the first and at the last forward. */
    public record Result(int steps, double firstLoss, double lastLoss) {
        /** Into the {@code steps, loss_first, loss_last} slots of a diagnostics array. */
        public void into(double[] diagnostics) {
            if (diagnostics != null) {
                diagnostics[0] = steps;
                diagnostics[1] = firstLoss;
                diagnostics[2] = lastLoss;
            }
        }
    }

    private AdapterTraining() {
    }

    public static Result train(LanguageModel lm, ModelView view, List<AdapterTarget> targets, TargetBatch batch, Parametrisation p,
                               double lr, int maxSteps, String who) {
        float[][] params = p.parameters();
        Adam[] adam = new Adam[params.length];
        for (int k = 0; k < params.length; k++) {
            adam[k] = new Adam(params[k].length, lr);
        }
        int steps = 0;
        double first = Double.NaN;
        double last = Double.NaN;
        try (GradientSession g = GradientSession.open()) {
            for (int it = 0; it < maxSteps; it++) {
                float[][] grads = new float[params.length][];
                try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                    NDArray[] leaves = new NDArray[params.length];
                    for (int k = 0; k < params.length; k++) {
                        leaves[k] = m.create(params[k], p.shape(k));
                        leaves[k].setRequiresGradient(true);
                    }
                    LayerHook train = new LayerHook() {
                        @Override
                        public NDArray projection(int layer, Projection proj, NDArray in, NDArray out, HookContext ctx) {
                            for (int t = 0; t < targets.size(); t++) {
                                if (targets.get(t).matches(layer, proj)) {
                                    out = out.add(p.delta(t, in, leaves));
                                }
                            }
                            return out;
                        }
                    };
                    NDArray logits = lm.model().forward(m, view.weights(), batch.input(), view.hooks().with(train), null).logits();
                    NDArray loss = batch.targetLoss(m, logits);
                    double lv = loss.getFloat();
                    if (!Double.isFinite(lv)) {
                        throw new IllegalStateException(who + " training diverged (loss " + lv + "); lower lr");
                    }
                    if (it == 0) {
                        first = lv;
                    }
                    last = lv;
                    if (lv < STOP_LOSS && p.mayStop(steps)) {
                        break;
                    }
                    NDArray reg = p.regulariser(m, leaves);
                    NDArray total = reg == null ? loss : loss.add(reg);
                    g.zeroGradients();
                    g.backward(total);
                    for (int k = 0; k < params.length; k++) {
                        grads[k] = leaves[k].getGradient().toFloatArray();
                    }
                }
                for (int k = 0; k < params.length; k++) {
                    adam[k].step(params[k], grads[k]);
                }
                steps++;
                p.afterStep(steps, grads);
            }
        }
        return new Result(steps, first, last);
    }
}
