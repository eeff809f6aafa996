package dev.emend.core.model.llama;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.model.CheckpointException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamily;
import java.util.List;

/** Llama ({@code LlamaForCausalLM}): RMSNorm, rotary positions, SwiGLU MLP, grouped-query attention. */
public final class LlamaFamily implements ModelFamily {
    @Override
    public String name() {
        return "llama";
    }

    /** transformers' {@code LlamaTokenizerFast} defaults {@code add_bos_token} to true. */
    @Override
    public boolean addsBosByDefault() {
        return true;
    }

    @Override
    public List<String> modelTypes() {
        return List.of("llama");
    }

    @Override
    public ModelConfig parseConfig(JsonObject o) {
        int heads = req(o, "num_attention_heads");
        int hidden = req(o, "hidden_size");
        if (o.has("head_dim") && !o.get("head_dim").isJsonNull() && o.get("head_dim").getAsInt() != hidden / heads) {
            throw new CheckpointException("config.json: head_dim " + o.get("head_dim") + " differs from hidden_size/num_attention_heads ("
                    + hidden / heads + "); such Llama variants are not supported");
        }
        if (o.has("rope_scaling") && !o.get("rope_scaling").isJsonNull()) {
            JsonObject rs = o.getAsJsonObject("rope_scaling");
            String type = rs.has("rope_type") ? rs.get("rope_type").getAsString()
                    : rs.has("type") ? rs.get("type").getAsString() : "default";
            if (!type.equals("llama3") && !type.equals("default")) {
                throw new CheckpointException("config.json: rope_scaling type '" + type + "' is not supported (default, llama3)");
            }
        }
        if (ModelConfig.boolField(o, false, "mlp_bias")) {
            throw new CheckpointException("config.json: mlp_bias true is not supported for llama (no MLP biases)");
        }
        if (o.has("hidden_act") && !"silu".equals(o.get("hidden_act").getAsString())) {
            throw new CheckpointException("config.json: hidden_act '" + o.get("hidden_act").getAsString()
                    + "' is not supported for llama (silu)");
        }
        return new ModelConfig("llama",
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
                o);
    }

    private static int req(JsonObject o, String name) {
        return ModelConfig.intField(o, ModelConfig.REQUIRED, name);
    }

    @Override
    public JsonObject toConfigJson(ModelConfig c) {
        JsonObject o = c.raw() != null && "llama".equals(c.modelType()) ? c.raw().deepCopy() : new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("LlamaForCausalLM");
        o.add("architectures", arch);
        o.addProperty("model_type", "llama");
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("hidden_size", c.hiddenSize());
        o.addProperty("intermediate_size", c.intermediateSize());
        o.addProperty("num_hidden_layers", c.numLayers());
        o.addProperty("num_attention_heads", c.numHeads());
        o.addProperty("num_key_value_heads", c.numKvHeads());
        o.addProperty("max_position_embeddings", c.maxPositions());
        o.addProperty("rms_norm_eps", c.normEps());
        o.addProperty("rope_theta", c.ropeTheta());
        o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        o.addProperty("hidden_act", "silu");
        o.addProperty("bos_token_id", c.bosTokenId());
        o.addProperty("eos_token_id", c.eosTokenId());
        o.addProperty("torch_dtype", "float32");
        return o;
    }

    @Override
    public DecoderModel create(ModelConfig config) {
        return new LlamaModel(config);
    }
}
