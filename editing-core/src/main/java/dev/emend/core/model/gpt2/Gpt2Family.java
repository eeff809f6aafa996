package dev.emend.core.model.gpt2;

import com.google.gson.JsonObject;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamily;
import java.util.List;

/** GPT-2 ({@code GPT2LMHeadModel}): learned positions, LayerNorm, GELU MLP, Conv1D layout. */
public final class Gpt2Family implements ModelFamily {
    @Override
    public String name() {
        return "gpt2";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("gpt2");
    }

    @Override
    public ModelConfig parseConfig(JsonObject o) {
        int embd = Gpt2Config.intOf(o, "n_embd", "hidden_size");
        int heads = Gpt2Config.intOf(o, "n_head", "num_attention_heads");
        int inner = o.has("n_inner") && !o.get("n_inner").isJsonNull() ? o.get("n_inner").getAsInt() : 4 * embd;
        String act = o.has("activation_function") ? o.get("activation_function").getAsString() : "gelu_new";
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh") && !act.equals("gelu")) {
            throw new dev.emend.core.model.CheckpointException("config.json: activation_function '" + act
                    + "' is not supported for gpt2 (gelu_new, gelu_pytorch_tanh, gelu)");
        }
        return new ModelConfig("gpt2",
                Gpt2Config.intOf(o, "vocab_size"),
                Gpt2Config.intOf(o, "n_layer", "num_hidden_layers"),
                heads, heads, embd, inner,
                Gpt2Config.intOf(o, "n_positions", "n_ctx", "max_position_embeddings"),
                o.has("layer_norm_epsilon") ? o.get("layer_norm_epsilon").getAsFloat() : 1e-5f,
                0f,
                !o.has("tie_word_embeddings") || o.get("tie_word_embeddings").getAsBoolean(),
                o.has("bos_token_id") && !o.get("bos_token_id").isJsonNull() ? o.get("bos_token_id").getAsInt() : -1,
                o.has("eos_token_id") && !o.get("eos_token_id").isJsonNull() ? o.get("eos_token_id").getAsInt() : -1,
                o);
    }

    @Override
    public JsonObject toConfigJson(ModelConfig c) {
        JsonObject o = new JsonObject();
        var arch = new com.google.gson.JsonArray();
        arch.add("GPT2LMHeadModel");
        o.add("architectures", arch);
        o.addProperty("model_type", "gpt2");
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("n_positions", c.maxPositions());
        o.addProperty("n_ctx", c.maxPositions());
        o.addProperty("n_embd", c.hiddenSize());
        o.addProperty("n_layer", c.numLayers());
        o.addProperty("n_head", c.numHeads());
        o.addProperty("n_inner", c.intermediateSize());
        o.addProperty("activation_function", "gelu_new");
        o.addProperty("layer_norm_epsilon", c.normEps());
        o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        o.addProperty("bos_token_id", c.bosTokenId());
        o.addProperty("eos_token_id", c.eosTokenId());
        o.addProperty("torch_dtype", "float32");
        return o;
    }

    @Override
    public DecoderModel create(ModelConfig config) {
        return new Gpt2Model(config);
    }
}
