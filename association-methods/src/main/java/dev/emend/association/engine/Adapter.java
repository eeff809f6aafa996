package dev.emend.association.engine;

import dev.emend.core.model.LayerHook;

/**
 * One trained adapter of a ledger unit (LoRA's low-rank product, AdaLoRA's pruned SVD triplets):
 * a forward hook over the frozen base whose native arrays live under the state's manager.
 * {@link #close} frees them (rollback = the space is rebuilt without this adapter).
 */
public interface Adapter extends LayerHook, AutoCloseable {
    /** Bytes of the adapter's parameters (float32). */
    long footprintBytes();

    /** Number of adapter parameters (what the method stores and applies). */
    long parameterCount();

    @Override
    void close();
}
