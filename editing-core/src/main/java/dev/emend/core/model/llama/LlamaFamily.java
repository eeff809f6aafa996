package dev.emend.core.model.llama;

import com.google.gson.JsonObject;
import dev.emend.core.model.ModelConfig;

/**
 * Llama 2 / 3 / 3.1 / 3.2 ({@code LlamaForCausalLM}): the plain Llama-style block; q/k/v/o
 * biases only with {@code attention_bias}; {@code rope_scaling} default or llama3.
 */
public final class LlamaFamily extends LlamaStyleFamily {
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
    protected String architecture() {
        return "LlamaForCausalLM";
    }

    @Override
    protected LlamaStyleOptions options(JsonObject o) {
        boolean bias = ModelConfig.boolField(o, false, "attention_bias");
        return new LlamaStyleOptions(bias, bias, false, 0);
    }

    @Override
    protected void writeOptions(JsonObject out, LlamaStyleOptions options) {
        out.addProperty("attention_bias", options.qkvBias());
    }
}
