package dev.emend.core.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.core.model.gpt2.Gpt2Family;
import dev.emend.core.model.gptj.GptjFamily;
import dev.emend.core.model.llama.LlamaFamily;
import dev.emend.core.model.mistral.MistralFamily;
import dev.emend.core.model.qwen2.Qwen2Family;
import dev.emend.core.model.qwen3.Qwen3Family;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one table of families: which {@code architectures} class and which {@code model_type}
 * each runs. Adding a family is one entry here plus its unit (a package under {@code model}).
 */
public final class ModelFamilies {
    private static final List<ModelFamily> FAMILIES = List.of(new Gpt2Family(), new GptjFamily(), new LlamaFamily(),
            new MistralFamily(), new Qwen2Family(), new Qwen3Family());
    private static final Map<String, ModelFamily> BY_TYPE = new LinkedHashMap<>();
    private static final Map<String, ModelFamily> BY_ARCHITECTURE = new LinkedHashMap<>();

    static {
        for (ModelFamily f : FAMILIES) {
            for (String t : f.modelTypes()) {
                BY_TYPE.put(t, f);
            }
            for (String a : f.architectures()) {
                BY_ARCHITECTURE.put(a, f);
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

    /**
     * The family of a config.json: by {@code architectures} when present (every entry must be a
     * supported class of one family), which must then agree with {@code model_type} (a Qwen2
     * checkpoint relabelled {@code llama} is refused rather than run with its biases dropped);
     * by {@code model_type} alone when {@code architectures} is absent.
     */
    public static ModelFamily forConfig(JsonObject json) {
        if (!json.has("model_type") || json.get("model_type").isJsonNull()) {
            throw new CheckpointException("config.json: missing field 'model_type'");
        }
        String modelType = ModelConfig.stringField(json, null, "model_type");
        List<String> architectures = architectures(json);
        if (architectures.isEmpty()) {
            return forModelType(modelType);
        }
        ModelFamily family = null;
        for (String a : architectures) {
            ModelFamily f = BY_ARCHITECTURE.get(a);
            if (f == null) {
                throw new CheckpointException("config.json: architectures '" + a + "' is not supported; supported: "
                        + String.join(", ", BY_ARCHITECTURE.keySet()));
            }
            if (family != null && f != family) {
                throw new CheckpointException("config.json: architectures " + architectures + " name two families ("
                        + family.name() + ", " + f.name() + ")");
            }
            family = f;
        }
        if (!family.modelTypes().contains(modelType)) {
            throw new CheckpointException("config.json: architectures " + architectures + " is a " + family.name()
                    + " model but model_type is '" + modelType + "' (expected " + String.join(" or ", family.modelTypes())
                    + "); a relabelled checkpoint would load with the wrong wiring — fix config.json");
        }
        return family;
    }

    private static List<String> architectures(JsonObject json) {
        JsonElement e = json.get("architectures");
        List<String> out = new ArrayList<>();
        if (e == null || e.isJsonNull()) {
            return out;
        }
        if (!e.isJsonArray()) {
            throw new CheckpointException("config.json: field 'architectures' is not a list: " + e);
        }
        for (JsonElement a : (JsonArray) e) {
            if (!a.isJsonPrimitive()) {
                throw new CheckpointException("config.json: field 'architectures' holds a non-string: " + a);
            }
            out.add(a.getAsString());
        }
        return out;
    }

    /** The supported {@code architectures} class names, in table order. */
    public static List<String> supportedArchitectures() {
        return List.copyOf(BY_ARCHITECTURE.keySet());
    }

    public static List<ModelFamily> all() {
        return FAMILIES;
    }
}
