package dev.emend.core.grad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/**
 * Adam / AdamW on engine arrays, computed in place on the parameter's device with float32 moments
 * beside it, as {@code torch.optim.Adam(W)} keeps them: the one implementation of every
 * device-side training loop (FT's and WISE's matrices through {@link TrainedTensor}, the fact
 * model's trainer, the test models' trainers). {@link Adam} is its host twin for the
 * vector-sized loops (the ROME/MEMIT δ, GRACE's value, MEND's networks), whose step costs nothing
 * beside the forward pass; both follow the same torch golden trajectory ({@code AdamGoldenTest}).
 *
 * <p>One step, with t the step (1-based), g the gradient:
 * <pre>
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w·(1 − lr·wd);  w ← w − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
 * </pre>
 * (the decay step only when wd &gt; 0: AdamW's decoupled weight decay).
 */
public final class DeviceAdam {
    /** β₁, β₂, ε and the decoupled weight decay. */
    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        /** PyTorch's defaults, no weight decay. */
        public static final Settings TORCH = new Settings(Adam.BETA1, Adam.BETA2, Adam.EPS, 0);

        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("Adam needs 0 ≤ β < 1, ε > 0 and weight decay ≥ 0, got β₁ " + beta1 + ", β₂ "
                        + beta2 + ", ε " + eps + ", weight decay " + weightDecay);
            }
        }
    }

    private final TrainedTensor param;
    private final double lr;
    private final NDArray m;
    private final NDArray v;
    private int step;

    /** Adam with PyTorch's defaults for {@code param}, moments at zero. */
    public DeviceAdam(TrainedTensor param, double lr) {
        checkLr(lr);
        this.param = param;
        this.lr = lr;
        NDArray value = param.value();
        this.m = value.zerosLike();
        this.v = value.zerosLike();
        NDScope.unregister(m, v);
        m.attach(param.manager());
        v.attach(param.manager());
    }

    private static void checkLr(double lr) {
        if (!(lr >= 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("Adam learning rate must be a finite number ≥ 0, got " + lr);
        }
    }

    /** Steps taken so far. */
    public int steps() {
        return step;
    }

    /** One step of the parameter with gradient {@code grad} (of its shape). */
    public void step(NDArray grad) {
        param.checkShape(grad);
        step++;
        step(param.value(), grad, m, v, step, lr, Settings.TORCH);
    }

    /**
     * One step of {@code param} in place, with its moments {@code m}, {@code v} (float32 arrays of
     * its shape, updated in place; zeros before step 1), {@code t} the 1-based step count.
     * {@code param} must not require a gradient itself (update the value, not the leaf).
     */
    public static void step(NDArray param, NDArray grad, NDArray m, NDArray v, long t, double lr, Settings s) {
        checkLr(lr);
        if (t < 1) {
            throw new IllegalArgumentException("Adam's step count starts at 1, got " + t);
        }
        float c1 = (float) (1 - Math.pow(s.beta1(), t));
        float c2 = (float) (1 - Math.pow(s.beta2(), t));
        try (NDScope scope = new NDScope()) {
            NDArray g = grad.toType(DataType.FLOAT32, false);
            m.muli((float) s.beta1()).addi(g.mul((float) (1 - s.beta1())));
            v.muli((float) s.beta2()).addi(g.square().mul((float) (1 - s.beta2())));
            NDArray update = m.div(c1).div(v.div(c2).sqrt().add((float) s.eps()));
            if (s.weightDecay() > 0) {
                param.muli((float) (1 - lr * s.weightDecay()));
            }
            param.subi(update.mul((float) lr));
        }
    }
}
