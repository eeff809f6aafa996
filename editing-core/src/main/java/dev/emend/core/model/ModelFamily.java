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

    /**
     * Whether this family's Hugging Face tokenizer class puts a BOS before every text when the
     * checkpoint's tokenizer_config.json names no tokenizer class and no add_bos_token (transformers
     * then picks the class from model_type). Used by {@code SpecialTokens}.
     */
    default boolean addsBosByDefault() {
        return false;
    }
}
