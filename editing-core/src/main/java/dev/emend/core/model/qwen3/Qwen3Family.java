package dev.emend.core.model.qwen3;

import com.google.gson.JsonObject;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.llama.LlamaStyleFamily;
import dev.emend.core.model.llama.LlamaStyleOptions;

/**
 * Qwen3 ({@code Qwen3ForCausalLM}): the Llama-style block with an RMSNorm over each query and key
 * head before RoPE ({@code q_norm}, {@code k_norm}), an explicit {@code head_dim} (Hugging Face's
 * default 128 when absent, independent of {@code hidden_size / num_attention_heads}), and q/k/v/o
 * biases only with {@code attention_bias}. {@code use_sliding_window: true} is refused.
 */
public final class Qwen3Family extends LlamaStyleFamily {
    @Override
    public String name() {
        return "qwen3";
    }

    @Override
    protected String architecture() {
        return "Qwen3ForCausalLM";
    }

    @Override
    protected int defaultHeadDim(int hidden, int heads) {
        return 128;
    }

    @Override
    protected LlamaStyleOptions options(JsonObject o) {
        refuseSlidingWindow(o);
        boolean bias = ModelConfig.boolField(o, false, "attention_bias");
        return new LlamaStyleOptions(bias, bias, true, 0);
    }

    @Override
    protected void writeOptions(JsonObject out, LlamaStyleOptions options) {
        out.addProperty("attention_bias", options.qkvBias());
        out.addProperty("use_sliding_window", false);
    }
}
