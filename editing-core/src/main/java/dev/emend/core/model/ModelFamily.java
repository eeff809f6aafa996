package dev.emend.core.model;

import com.google.gson.JsonObject;
import java.util.List;

/**
 * A model architecture family (GPT-2, Llama): how to read its {@code config.json}, how to write
 * one back, and how to build its forward pass. Registered in {@link ModelFamilies} by the
 * {@code model_type} values it accepts.
 */
public interface ModelFamily {
    String name();

    /** The {@code model_type} strings of config.json this family loads. */
    List<String> modelTypes();

    ModelConfig parseConfig(JsonObject json);

    /** A Hugging Face config.json for {@code config} (architectures, model_type, sizes). */
    JsonObject toConfigJson(ModelConfig config);

    DecoderModel create(ModelConfig config);
}
