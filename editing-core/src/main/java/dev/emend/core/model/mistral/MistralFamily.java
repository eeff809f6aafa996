package dev.emend.core.model.mistral;

import com.google.gson.JsonObject;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.llama.LlamaStyleFamily;
import dev.emend.core.model.llama.LlamaStyleOptions;

/**
 * Mistral ({@code MistralForCausalLM}): the Llama-style block without biases, with
 * {@code sliding_window} honoured in the attention mask (a query sees the keys less than
 * {@code sliding_window} positions back; {@code null} = full causal attention).
 */
public final class MistralFamily extends LlamaStyleFamily {
    @Override
    public String name() {
        return "mistral";
    }

    @Override
    protected String architecture() {
        return "MistralForCausalLM";
    }

    @Override
    public boolean addsBosByDefault() {
        return true;
    }

    @Override
    protected LlamaStyleOptions options(JsonObject o) {
        int window = ModelConfig.intField(o, 0, "sliding_window");
        if (window < 0 || (o.has("sliding_window") && !o.get("sliding_window").isJsonNull() && window == 0)) {
            ModelConfig.refuse(name(), "sliding_window", window, "a positive number of positions, or null for none");
        }
        return new LlamaStyleOptions(false, false, false, window);
    }

    @Override
    protected void writeOptions(JsonObject out, LlamaStyleOptions options) {
        if (options.slidingWindow() > 0) {
            out.addProperty("sliding_window", options.slidingWindow());
        } else {
            out.add("sliding_window", com.google.gson.JsonNull.INSTANCE);
        }
    }
}
