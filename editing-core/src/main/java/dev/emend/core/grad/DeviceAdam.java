package dev.emend.core.grad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

/**
 * {@link Adam}'s algorithm (PyTorch's defaults and formula) for a {@link TrainedTensor}: the
 * moments are float32 engine arrays on the parameter's device, as {@code torch.optim.Adam} keeps
 * them, and every step is computed there in place. {@link Adam} stays the optimiser of the
 * vector-sized host loops (the ROME/MEMIT δ, GRACE's value), whose step costs nothing beside the
 * forward pass; both are checked against the same torch golden trajectory ({@code AdamGoldenTest}).
 */
public final class DeviceAdam {
    private final TrainedTensor param;
    private final double lr;
    private final NDArray m;
    private final NDArray v;
    private int step;

    public DeviceAdam(TrainedTensor param, double lr) {
        if (!(lr >= 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("Adam learning rate must be a finite number ≥ 0, got " + lr);
        }
        this.param = param;
        this.lr = lr;
        NDArray value = param.value();
        this.m = value.zerosLike();
        this.v = value.zerosLike();
        NDScope.unregister(m, v);
        m.attach(param.manager());
        v.attach(param.manager());
    }

    /** Steps taken so far. */
    public int steps() {
        return step;
    }

    /** One step of the parameter with gradient {@code grad} (of its shape). */
    public void step(NDArray grad) {
        param.checkShape(grad);
        step++;
        float c1 = (float) (1 - Math.pow(Adam.BETA1, step));
        float c2 = (float) (1 - Math.pow(Adam.BETA2, step));
        try (NDScope scope = new NDScope()) {
            NDArray g = grad.toType(DataType.FLOAT32, false);
            m.muli((float) Adam.BETA1).addi(g.mul((float) (1 - Adam.BETA1)));
            v.muli((float) Adam.BETA2).addi(g.square().muli((float) (1 - Adam.BETA2)));
            NDArray denom = v.div(c2).sqrt().addi((float) Adam.EPS);
            param.value().subi(m.div(c1).divi(denom).muli((float) lr));
        }
    }
}
