package dev.emend.core.model.gpt2;

import com.google.gson.JsonObject;
import dev.emend.core.model.Activations;
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
    public List<String> architectures() {
        return List.of("GPT2LMHeadModel");
    }

    @Override
    public ModelConfig parseConfig(JsonObject o) {
        int embd = ModelConfig.intField(o, ModelConfig.REQUIRED, "n_embd", "hidden_size");
        int heads = ModelConfig.intField(o, ModelConfig.REQUIRED, "n_head", "num_attention_heads");
        int inner = ModelConfig.intField(o, 4 * embd, "n_inner");
        Activations.require("gpt2", "activation_function", ModelConfig.stringField(o, "gelu_new", "activation_function"),
                "gelu_new", "gelu_pytorch_tanh", "gelu");
        if (ModelConfig.boolField(o, false, "scale_attn_by_inverse_layer_idx")) {
            ModelConfig.refuse("gpt2", "scale_attn_by_inverse_layer_idx", true, "supported: false");
        }
        if (ModelConfig.boolField(o, false, "reorder_and_upcast_attn")) {
            ModelConfig.refuse("gpt2", "reorder_and_upcast_attn", true, "supported: false");
        }
        if (!ModelConfig.boolField(o, true, "scale_attn_weights")) {
            ModelConfig.refuse("gpt2", "scale_attn_weights", false, "supported: true");
        }
        return new ModelConfig("gpt2",
                ModelConfig.intField(o, ModelConfig.REQUIRED, "vocab_size"),
                ModelConfig.intField(o, ModelConfig.REQUIRED, "n_layer", "num_hidden_layers"),
                heads, heads, embd, inner,
                ModelConfig.intField(o, ModelConfig.REQUIRED, "n_positions", "n_ctx", "max_position_embeddings"),
                ModelConfig.floatField(o, 1e-5f, "layer_norm_epsilon"),
                0f,
                ModelConfig.boolField(o, true, "tie_word_embeddings"),
                ModelConfig.tokenId(o, "bos_token_id"),
                ModelConfig.tokenId(o, "eos_token_id"),
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
        o.addProperty("activation_function", c.raw() != null && c.raw().has("activation_function")
                ? c.raw().get("activation_function").getAsString() : "gelu_new");
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
