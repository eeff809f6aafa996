package dev.emend.core.model;

import dev.emend.core.model.gpt2.Gpt2Family;
import dev.emend.core.model.llama.LlamaFamily;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one table mapping {@code model_type} to the family that runs it. */
public final class ModelFamilies {
    private static final List<ModelFamily> FAMILIES = List.of(new Gpt2Family(), new LlamaFamily());
    private static final Map<String, ModelFamily> BY_TYPE = new LinkedHashMap<>();

    static {
        for (ModelFamily f : FAMILIES) {
            for (String t : f.modelTypes()) {
                BY_TYPE.put(t, f);
            }
        }
    }

    private ModelFamilies() {
    }

    public static ModelFamily forModelType(String modelType) {
        ModelFamily f = BY_TYPE.get(modelType);
        if (f == null) {
            throw new CheckpointException("config.json: unknown model_type '" + modelType + "'; supported: "
                    + String.join(", ", BY_TYPE.keySet()));
        }
        return f;
    }

    public static List<ModelFamily> all() {
        return FAMILIES;
    }
}
