package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Copy-on-write parameters: the base weights plus the matrices this overlay replaced. Reads of
 * untouched names go to the base; {@link #replace} stores a private copy owned by this overlay's
 * manager, so closing the overlay frees exactly what its edits cost and the base is never written.
 * A replacement is stored in the base tensor's dtype (a half-precision model's edits cost half).
 */
public final class OverlayWeights implements Weights, AutoCloseable {
    private final Weights base;
    private final NDManager manager;
    private final Map<String, NDArray> replaced = new LinkedHashMap<>();
    // Arrays displaced by replace/restore. A forward pass on another thread may have fetched one
    // just before it was displaced, so they are freed only by releaseRetired() (called by the
    // owner when no read is in flight, e.g. under its edit lock) or close().
    private final java.util.List<NDArray> retired = new java.util.ArrayList<>();

    public OverlayWeights(Weights base, NDManager parent) {
        this.base = base;
        this.manager = parent.newSubManager();
    }

    @Override
    public synchronized NDArray get(String name) {
        NDArray a = replaced.get(name);
        return a != null ? a : base.get(name);
    }

    @Override
    public boolean has(String name) {
        return base.has(name);
    }

    @Override
    public Set<String> names() {
        return base.names();
    }

    /**
     * Replaces a parameter with a copy of {@code value} (same shape as the base). The copy
     * belongs to this overlay; the caller keeps ownership of {@code value}.
     */
    public synchronized void replace(String name, NDArray value) {
        NDArray old = base.get(name);
        if (!old.getShape().equals(value.getShape())) {
            throw new IllegalArgumentException("parameter '" + name + "' has shape " + old.getShape()
                    + " but the replacement has shape " + value.getShape());
        }
        // duplicate() really copies: toType(sameType, true) returns an alias of the caller's
        // storage in PyTorch, so in-place updates of {@code value} would leak into this overlay.
        NDArray copy = value.getDataType() == old.getDataType() ? value.duplicate()
                : value.toType(old.getDataType(), false);
        // The copy outlives any NDScope the caller is in (editors compute updates inside one).
        NDScope.unregister(copy);
        copy.attach(manager);
        NDArray prev = replaced.put(name, copy);
        if (prev != null && prev != copy) {
            retired.add(prev);
        }
    }

    /**
     * {@code weight + delta} computed in float32 (a new array on delta's manager), for
     * {@link #replace}, which rounds it once to the weight's stored dtype. This is the precision
     * rule of every weight edit: the update (ROME, MEMIT, AlphaEdit, FT) is computed in float32,
     * added to the weight in float32, and the sum is stored in the weight's own dtype.
     */
    public static NDArray sumInFloat32(NDArray delta, NDArray weight) {
        NDArray d = delta.getDataType() == DataType.FLOAT32 ? delta : delta.toType(DataType.FLOAT32, false);
        if (weight.getDataType() == DataType.FLOAT32) {
            return d.add(weight);
        }
        try (NDArray w32 = weight.toType(DataType.FLOAT32, false)) {
            return d.add(w32);
        }
    }

    /** Drops the private copy so the base value is seen again. */
    public synchronized void restore(String name) {
        NDArray prev = replaced.remove(name);
        if (prev != null) {
            retired.add(prev);
        }
    }

    /** Frees displaced arrays; call only when no forward pass can still be reading them. */
    public synchronized void releaseRetired() {
        retired.forEach(NDArray::close);
        retired.clear();
    }

    public synchronized Set<String> replacedNames() {
        return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(replaced.keySet()));
    }

    public Weights base() {
        return base;
    }

    @Override
    public synchronized void close() {
        replaced.clear();
        retired.clear();
        manager.close();
    }
}
