package dev.emend.core.safetensors;

import java.util.Arrays;

/**
 * Header entry of one stored tensor: its name, safetensors dtype string (for example {@code F32},
 * {@code BF16}, {@code I64}), shape, and where its bytes lie. {@code offset} is absolute within the
 * file (header already accounted for), so it can be handed straight to {@code FileChannel.map};
 * {@code byteLength} is the size of the stored (not converted) data.
 */
public record TensorInfo(String name, String dtype, long[] shape, long offset, long byteLength) {

    public TensorInfo {
        // Records expose their components; copying keeps a caller from mutating a shared header.
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements, the product of the shape (1 for a scalar). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape)
                && offset == t.offset
                && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return (name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @" + offset + "+" + byteLength;
    }
}
