package dev.emend.core.grad;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * A matrix-sized parameter an editor trains (FT's down-projections, WISE's side memory, LoRA's
 * factors), kept as a float32 engine array on the device of the array it starts from, with its
 * optimiser state beside it. Each step hands the forward pass a fresh {@link #leaf()} (a detached
 * view of the value that records its gradient; no copy) and updates the value in place on the
 * device after the backward ({@link DeviceAdam}, {@link #sgdStep}, {@link #clip}): nothing
 * matrix-sized crosses to the host until {@link #toFloatArray()} at the end.
 *
 * <p>The value never requires a gradient itself, so the in-place updates are legal while the
 * process-global gradient collector is open; the leaf of the previous step is closed with that
 * step's {@link NDScope}. Temporaries of an update are closed before it returns. Not thread-safe
 * (one editor's loop owns it).
 */
public final class TrainedTensor implements AutoCloseable {
    private final NDManager manager;
    private final NDArray value;

    private TrainedTensor(NDManager manager, NDArray value) {
        this.manager = manager;
        this.value = value;
    }

    /** A float32 copy of {@code initial}, on its device, owned by a sub-manager of {@code parent}. */
    public static TrainedTensor copyOf(NDManager parent, NDArray initial) {
        NDManager m = parent.newSubManager(initial.getDevice());
        try {
            // toType(…, copy = true) of a float32 array hands back one sharing its storage (PyTorch's
            // .to() for the same dtype): duplicate() is the engine's real clone
            NDArray v = initial.getDataType() == DataType.FLOAT32 ? initial.duplicate() : initial.toType(DataType.FLOAT32, false);
            return own(m, v);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** {@code values} (row-major, of {@code shape}) copied once onto {@code parent}'s device. */
    public static TrainedTensor of(NDManager parent, float[] values, Shape shape) {
        if (values.length != shape.size()) {
            throw new IllegalArgumentException("a trained tensor of shape " + shape + " needs " + shape.size()
                    + " values, got " + values.length);
        }
        NDManager m = parent.newSubManager();
        try {
            return own(m, m.create(values, shape));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static TrainedTensor own(NDManager m, NDArray v) {
        NDScope.unregister(v); // outlives any scope the caller has open: closed with m
        v.attach(m);
        return new TrainedTensor(m, v);
    }

    /** The manager that owns the value (and the optimiser state created for it). */
    NDManager manager() {
        return manager;
    }

    /** The current value (read it, never train through it: use {@link #leaf()}). */
    public NDArray value() {
        return value;
    }

    public Shape shape() {
        return value.getShape();
    }

    /**
     * The value as a leaf of this step's graph: shares its storage, records its gradient, and is
     * closed with the caller's {@link NDScope} (open one per step).
     */
    public NDArray leaf() {
        NDArray leaf = value.stopGradient();
        leaf.setRequiresGradient(true);
        return leaf;
    }

    /** value ← value − lr·(grad ⊙ mask); {@code mask} may be null (every entry moves). */
    public void sgdStep(NDArray grad, double lr, NDArray mask) {
        checkShape(grad);
        try (NDScope scope = new NDScope()) {
            NDArray g = grad.toType(DataType.FLOAT32, false);
            if (mask != null) {
                g = g.mul(mask);
            }
            value.subi(g.mul((float) lr));
        }
    }

    /** Clamps every entry into [lo, hi] (scalars), in place. */
    public void clip(double lo, double hi) {
        clip(lo, hi, null);
    }

    /** Clamps the entries {@code mask} opens (1; 0 leaves an entry as it is) into [lo, hi], in place. */
    public void clip(double lo, double hi, NDArray mask) {
        try (NDScope scope = new NDScope()) {
            NDArray clipped = value.clip((float) lo, (float) hi);
            if (mask != null) {
                checkShape(mask);
                clipped = value.add(clipped.sub(value).mul(mask));
            }
            value.intern(clipped); // takes the clamped storage; the old one is freed
        }
    }

    /** Clamps every entry into [lo, hi] elementwise (arrays of the value's shape), in place. */
    public void clip(NDArray lo, NDArray hi) {
        checkShape(lo);
        checkShape(hi);
        try (NDScope scope = new NDScope()) {
            value.intern(value.maximum(lo).minimum(hi));
        }
    }

    void checkShape(NDArray a) {
        if (!a.getShape().equals(value.getShape())) {
            throw new IllegalArgumentException("a trained tensor of shape " + value.getShape() + " got an array of shape "
                    + a.getShape());
        }
    }

    /** The value copied to the host (row-major float32). */
    public float[] toFloatArray() {
        return value.toFloatArray();
    }

    /** value − {@code base}, copied to the host: the trained change. */
    public float[] minusToHost(NDArray base) {
        checkShape(base);
        try (NDScope scope = new NDScope()) {
            return value.sub(base.toType(DataType.FLOAT32, false)).toFloatArray();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
