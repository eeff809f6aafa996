package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** The unedited parameters of a loaded model, owned by the model's long-lived NDManager. */
public final class BaseWeights implements Weights {
    private final Map<String, NDArray> tensors;

    public BaseWeights(Map<String, NDArray> tensors) {
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    @Override
    public NDArray get(String name) {
        NDArray a = tensors.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter named '" + name + "' (model has " + tensors.size() + ")");
        }
        return a;
    }

    @Override
    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    /** The parameters in checkpoint order, for saving. */
    public Map<String, NDArray> asMap() {
        return tensors;
    }
}
