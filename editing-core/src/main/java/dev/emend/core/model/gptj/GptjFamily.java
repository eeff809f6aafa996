package dev.emend.core.model.gptj;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.model.Activations;
import dev.emend.core.model.CheckpointException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamily;
import java.util.List;

/**
 * GPT-J ({@code GPTJForCausalLM}, {@code model_type} gptj): one LayerNorm feeding attention and
 * MLP in parallel, rotary embedding on the first {@code rotary_dim} features of each head with
 * interleaved pairs, GELU MLP with biases, LM head with a bias.
 */
public final class GptjFamily implements ModelFamily {
    @Override
    public String name() {
        return "gptj";
    }

    @Override
    public List<String> modelTypes() {
        return List.of("gptj");
    }

    @Override
    public List<String> architectures() {
        return List.of("GPTJForCausalLM");
    }

    @Override
    public ModelConfig parseConfig(JsonObject o) {
        int embd = ModelConfig.intField(o, ModelConfig.REQUIRED, "n_embd", "hidden_size");
        int heads = ModelConfig.intField(o, ModelConfig.REQUIRED, "n_head", "num_attention_heads");
        int headDim = ModelConfig.evenHeadDim(embd, heads);
        // Absent: GPTJConfig's default, 64. Null: HF sizes the sinusoid table by n_embd, which only
        // fits a single head, so it is refused.
        if (o.has("rotary_dim") && o.get("rotary_dim").isJsonNull()) {
            ModelConfig.refuse("gptj", "rotary_dim", "null", "a positive even width at most the head width " + headDim);
        }
        int rotaryDim = ModelConfig.intField(o, 64, "rotary_dim");
        if (rotaryDim <= 0 || rotaryDim % 2 != 0 || rotaryDim > headDim) {
            throw new CheckpointException("config.json: field 'rotary_dim' = " + rotaryDim
                    + " must be even, positive and at most the head width " + headDim + " (n_embd / n_head)");
        }
        String act = Activations.require("gptj", "activation_function",
                ModelConfig.stringField(o, "gelu_new", "activation_function"), "gelu_new", "gelu_pytorch_tanh", "gelu");
        return new ModelConfig("gptj",
                ModelConfig.intField(o, ModelConfig.REQUIRED, "vocab_size"),
                ModelConfig.intField(o, ModelConfig.REQUIRED, "n_layer", "num_hidden_layers"),
                heads, heads, embd,
                ModelConfig.intField(o, 4 * embd, "n_inner"),
                ModelConfig.intField(o, ModelConfig.REQUIRED, "n_positions", "max_position_embeddings"),
                ModelConfig.floatField(o, 1e-5f, "layer_norm_epsilon"),
                10000f,
                ModelConfig.boolField(o, false, "tie_word_embeddings"),
                ModelConfig.tokenId(o, "bos_token_id"),
                ModelConfig.tokenId(o, "eos_token_id"),
                o, headDim, new GptjOptions(rotaryDim, act));
    }

    @Override
    public JsonObject toConfigJson(ModelConfig c) {
        GptjOptions opt = c.options(GptjOptions.class);
        JsonObject o = new JsonObject();
        JsonArray arch = new JsonArray();
        arch.add("GPTJForCausalLM");
        o.add("architectures", arch);
        o.addProperty("model_type", "gptj");
        o.addProperty("vocab_size", c.vocabSize());
        o.addProperty("n_positions", c.maxPositions());
        o.addProperty("n_embd", c.hiddenSize());
        o.addProperty("n_layer", c.numLayers());
        o.addProperty("n_head", c.numHeads());
        o.addProperty("n_inner", c.intermediateSize());
        o.addProperty("rotary_dim", opt.rotaryDim());
        o.addProperty("activation_function", opt.activation());
        o.addProperty("layer_norm_epsilon", c.normEps());
        o.addProperty("tie_word_embeddings", c.tieWordEmbeddings());
        o.addProperty("bos_token_id", c.bosTokenId());
        o.addProperty("eos_token_id", c.eosTokenId());
        o.addProperty("torch_dtype", "float32");
        return o;
    }

    @Override
    public DecoderModel create(ModelConfig config) {
        return new GptjModel(config);
    }
}
