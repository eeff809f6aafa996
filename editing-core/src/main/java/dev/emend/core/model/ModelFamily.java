package dev.emend.core.model;

import com.google.gson.JsonObject;
import java.util.List;

/**
 * A model architecture family (GPT-2, GPT-J, Llama, Mistral, Qwen2, Qwen3): how to read its
 * {@code config.json} into a {@link ModelConfig}, how to write one back, and how to build its
 * forward pass. Everything else a caller needs about the family (tensor and module names, the
 * projection editors change, the final norm, the LM head) is on the {@link DecoderModel} it
 * creates. Registered in {@link ModelFamilies} by its {@code architectures} class names and
 * {@code model_type} values.
 */
public interface ModelFamily {
    /** Emend's name of the family: gpt2, gptj, llama, mistral, qwen2, qwen3. */
    String name();

    /** The {@code model_type} strings of config.json this family loads. */
    List<String> modelTypes();

    /** The Hugging Face {@code architectures} class names this family runs (with an LM head). */
    List<String> architectures();

    ModelConfig parseConfig(JsonObject json);

    /** A Hugging Face config.json for {@code config} (architectures, model_type, sizes). */
    JsonObject toConfigJson(ModelConfig config);

    DecoderModel create(ModelConfig config);

    /**
     * Whether the family's tokenizers put a BOS token before every text when the checkpoint does
     * not say: used by {@code SpecialTokens} when tokenizer_config.json names no tokenizer class and
     * no add_bos_token (transformers then picks the class from model_type). Llama and Mistral do,
     * GPT-2/GPT-J/Qwen do not.
     */
    default boolean addsBosByDefault() {
        return false;
    }
}
