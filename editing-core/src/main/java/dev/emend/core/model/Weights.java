package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import java.util.Set;

/**
 * A read view of a model's parameters by Hugging Face tensor name. The base model is one
 * {@code Weights}; an edited variant is an {@link OverlayWeights} that replaces a few matrices
 * and shares everything else, so many spaces cost only what their edits changed.
 */
public interface Weights {
    /** The tensor with this name; throws {@link IllegalArgumentException} naming it when absent. */
    NDArray get(String name);

    boolean has(String name);

    Set<String> names();
}
