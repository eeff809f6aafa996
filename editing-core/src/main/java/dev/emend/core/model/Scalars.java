package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar arithmetic that is safe under autograd. DJL's {@code NDArray.mul(Number)} wraps the
 * number in a tensor over a Java direct buffer and closes it right after the op; autograd keeps
 * that tensor for the backward pass, and once the garbage collector frees the buffer the
 * gradient reads freed memory (we saw random NaNs in training, gone with the GC disabled).
 * Multiplicative scalars in any differentiable code must come from here: the scalar is a native
 * tensor that autograd keeps alive by reference count. Additive scalars are safe either way.
 */
public final class Scalars {
    private Scalars() {
    }

    /** {@code x * value}, with the scalar owned natively. */
    public static NDArray mul(NDArray x, double value) {
        return x.mul(x.getManager().full(new Shape(), (float) value, x.getDataType()));
    }

    /** {@code x / value}, as a multiplication by the native reciprocal. */
    public static NDArray div(NDArray x, double value) {
        return mul(x, 1.0 / value);
    }
}
