package dev.emend.core.model.qwen2;

import com.google.gson.JsonObject;
import dev.emend.core.model.llama.LlamaStyleFamily;
import dev.emend.core.model.llama.LlamaStyleOptions;

/**
 * Qwen2 / Qwen2.5 ({@code Qwen2ForCausalLM}): the Llama-style block with biases on q, k and v
 * (always) and none on the output projection. {@code use_sliding_window: true} is refused.
 */
public final class Qwen2Family extends LlamaStyleFamily {
    @Override
    public String name() {
        return "qwen2";
    }

    @Override
    protected String architecture() {
        return "Qwen2ForCausalLM";
    }

    @Override
    protected LlamaStyleOptions options(JsonObject o) {
        refuseSlidingWindow(o);
        return new LlamaStyleOptions(true, false, false, 0);
    }

    @Override
    protected void writeOptions(JsonObject out, LlamaStyleOptions options) {
        out.addProperty("use_sliding_window", false);
    }
}
