package dev.emend.core.model.llama;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.model.Activations;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.model.Rotary;
import java.util.List;

/**
 * What the Llama-style families (Llama, Mistral, Qwen2, Qwen3) share: the config fields they
 * have in common, their checks, and the block ({@link LlamaStyleModel}). Each family is a small
 * subclass: its names, its default {@code head_dim}, and the {@link LlamaStyleOptions} its
 * config implies (and how to write them back).
 */
public abstract class LlamaStyleFamily implements ModelFamily {
    /** The Hugging Face class, e.g. {@code LlamaForCausalLM}. */
    protected abstract String architecture();

    /** Reads (and checks) the family's own switches from config.json. */
    protected abstract LlamaStyleOptions options(JsonObject config);

    /** Writes the family's own switches back into a config.json. */
    protected abstract void writeOptions(JsonObject out, LlamaStyleOptions options);

    /** {@code head_dim} when config.json has none: {@code hidden / heads} (Qwen3's config class says 128). */
    protected int defaultHeadDim(int hidden, int heads) {
        return ModelConfig.evenHeadDim(hidden, heads);
    }

    @Override
    public List<String> modelTypes() {
        return List.of(name());
    }

    @Override
    public List<String> architectures() {
        return List.of(architecture());
    }

    @Override
    public ModelConfig parseConfig(JsonObject o) {
        int heads = req(o, "num_attention_heads");
        int hidden = req(o, "hidden_size");
        Activations.require(name(), "hidden_act", ModelConfig.stringField(o, "silu", "hidden_act"), "silu");
        if (ModelConfig.boolField(o, false, "mlp_bias")) {
            ModelConfig.refuse(name(), "mlp_bias", true, "supported: false (no MLP biases)");
        }
        Rotary.checkScaling(o, name());
        LlamaStyleOptions options = options(o);
        int headDim = o.has("head_dim") && !o.get("head_dim").isJsonNull() ? req(o, "head_dim") : defaultHeadDim(hidden, heads);
        if (headDim % 2 != 0) {
            ModelConfig.refuse(name(), "head_dim", headDim, "rotary embedding needs an even head width");
        }
        return new ModelConfig(name(),
                req(o, "vocab_size"),
                req(o, "num_hidden_layers"),
                heads,
                ModelConfig.intField(o, heads, "num_key_value_heads"),
                hidden,
                req(o, "intermediate_size"),
                req(o, "max_position_embeddings"),
                ModelConfig.floatField(o, 1e-6f, "rms_norm_eps"),
                ModelConfig.floatField(o, 10000f, "rope_theta"),
                ModelConfig.boolField(o, false, "tie_word_embeddings"),
                ModelConfig.tokenId(o, "bos_token_id"),
                ModelConfig.tokenId(o, "eos_token_id"),
                o, headDim, options);
    }

    protected static int req(JsonObject o, String name) {
        return ModelConfig.intField(o, ModelConfig.REQUIRED, name);
    }

    /** {@code use_sliding_window: true} (Qwen) is refused: only Mistral's always-on window is implemented. */
    protected void refuseSlidingWindow(JsonObject o) {
        if (ModelConfig.boolField(o, false, "use_sliding_window")) {
            ModelConfig.refuse(name(), "use_sliding_window", true, "supported: false");
        }
    }

    @Override
    public JsonObject toConfigJson(ModelConfig c) {
        JsonObject o = c.raw() != null && name().equals(c.modelType()) ? c.raw().deepCopy() : new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add(architecture());
        o.add("architectures", arch);
        o.addProperty("model_type", name());
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("hidden_size", c.hiddenSize());
        o.addProperty("intermediate_size", c.intermediateSize());
        o.addProperty("num_hidden_layers", c.numLayers());
        o.addProperty("num_attention_heads", c.numHeads());
        o.addProperty("num_key_value_heads", c.numKvHeads());
        o.addProperty("head_dim", c.headDim());
        o.addProperty("max_position_embeddings", c.maxPositions());
        o.addProperty("rms_norm_eps", c.normEps());
        o.addProperty("rope_theta", c.ropeTheta());
        o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        o.addProperty("hidden_act", "silu");
        o.addProperty("bos_token_id", c.bosTokenId());
        o.addProperty("eos_token_id", c.eosTokenId());
        o.addProperty("torch_dtype", "float32");
        writeOptions(o, c.options(LlamaStyleOptions.class));
        return o;
    }

    @Override
    public DecoderModel create(ModelConfig config) {
        return new LlamaStyleModel(config);
    }
}
