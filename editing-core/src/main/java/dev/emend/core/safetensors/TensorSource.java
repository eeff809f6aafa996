package dev.emend.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * A read-only name-to-tensor view, implemented both by a single {@link SafetensorsFile} and by a
 * possibly sharded {@link SafetensorsCheckpoint}, so model loaders need not care which layout a
 * checkpoint uses. Looking up a name that is not present throws {@link IllegalArgumentException}
 * with a message listing some names that do exist.
 */
public interface TensorSource extends AutoCloseable {

    /** All tensor names, in header order. */
    Set<String> names();

    /** Header entry of {@code name}. */
    TensorInfo info(String name);

    /** Free-form string metadata ({@code __metadata__}, or the index's {@code metadata}). */
    Map<String, String> metadata();

    /**
     * Loads one tensor into {@code manager} in its stored dtype (F16, BF16, F32, F64 and the
     * integer types as they are; I16/U16 widen to INT32, U32 to INT64); the shape is the declared
     * one. On the CPU the array may alias a copy-on-write mapping of the file.
     */
    NDArray load(String name, NDManager manager) throws IOException;

    /** Loads one tensor converted to {@code float}, for tests and tools that do not use DJL. */
    float[] loadFloats(String name) throws IOException;

    @Override
    void close() throws IOException;
}
