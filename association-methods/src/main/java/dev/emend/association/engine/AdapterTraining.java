package dev.emend.association.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.grad.DeviceAdam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.grad.TrainedTensor;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.List;

/**
 * The training loop LoRA and AdaLoRA share: Adam on the adapter's parameters, FT-M's objective (the
 * teacher-forced cross-entropy over the target tokens, {@link TargetBatch#targetLoss}) through the
 * space's current view with one more hook that adds each target's update, plus the
 * parametrisation's regulariser. The parameters live on the model's device for the whole loop
 * ({@link TrainedTensor}, {@link DeviceAdam}, as FT's and WISE's matrices): each step's gradients
 * stay there and the optimiser updates in place, so nothing parameter-sized crosses to the host
 * until the trained values are copied back once at the end. Training stops after {@code maxSteps}
 * optimiser steps, or earlier once the target loss is below {@link #STOP_LOSS} and the
 * parametrisation allows it.
 */
public final class AdapterTraining {
    /** Early-stop threshold on the target cross-entropy. */
    public static final double STOP_LOSS = 1e-2;

    /** What an adapter method trains: its parameters and how they make each target's update. */
    public interface Parametrisation {
        /** The trainable parameters' initial values, flat; {@link #train} writes the trained values back into them. */
        float[][] parameters();

        /** The shape of each parameter. */
        Shape shape(int parameter);

        /** The update of target {@code t} for input {@code x}, from the parameters as arrays. */
        NDArray delta(int t, NDArray x, NDArray[] params);

        /** A term added to the loss (AdaLoRA's orthogonality), or null for none. */
        default NDArray regulariser(NDManager m, NDArray[] params) {
            return null;
        }

        /**
         * Called after optimiser step {@code step} (1-based) with the parameters' current values (on
         * the device; they may be changed in place, as AdaLoRA's masks do) and that step's gradients.
         */
        default void afterStep(int step, NDArray[] values, NDArray[] grads) {
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
        TrainedTensor[] tensors = new TrainedTensor[params.length];
        try {
            DeviceAdam[] adam = new DeviceAdam[params.length];
            NDArray[] values = new NDArray[params.length];
            for (int k = 0; k < params.length; k++) {
                tensors[k] = TrainedTensor.of(lm.manager(), params[k], p.shape(k));
                adam[k] = new DeviceAdam(tensors[k], lr);
                values[k] = tensors[k].value();
            }
            Result result = steps(lm, view, targets, batch, p, tensors, adam, values, maxSteps, who);
            for (int k = 0; k < params.length; k++) {
                float[] trained = tensors[k].toFloatArray();
                System.arraycopy(trained, 0, params[k], 0, trained.length);
            }
            return result;
        } finally {
            for (TrainedTensor t : tensors) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    private static Result steps(LanguageModel lm, ModelView view, List<AdapterTarget> targets, TargetBatch batch, Parametrisation p,
                                TrainedTensor[] tensors, DeviceAdam[] adam, NDArray[] values, int maxSteps, String who) {
        int steps = 0;
        double first = Double.NaN;
        double last = Double.NaN;
        try (GradientSession g = GradientSession.open()) {
            for (int it = 0; it < maxSteps; it++) {
                try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                    NDArray[] leaves = new NDArray[tensors.length];
                    for (int k = 0; k < tensors.length; k++) {
                        leaves[k] = tensors[k].leaf();
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
                    NDArray[] grads = new NDArray[tensors.length];
                    for (int k = 0; k < tensors.length; k++) {
                        grads[k] = leaves[k].getGradient();
                        adam[k].step(grads[k]);
                    }
                    steps++;
                    p.afterStep(steps, values, grads);
                }
            }
        }
        return new Result(steps, first, last);
    }
}
