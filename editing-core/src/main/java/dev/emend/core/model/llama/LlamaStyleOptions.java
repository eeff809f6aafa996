package dev.emend.core.model.llama;

import dev.emend.core.model.FamilyOptions;

/**
 * The switches that tell the Llama-style families apart (one block, {@link LlamaStyleModel}):
 * biases on q/k/v (Qwen2 always; Llama and Qwen3 with {@code attention_bias}), a bias on the
 * output projection (Llama and Qwen3 with {@code attention_bias}; never Qwen2), RMSNorm of each
 * query/key head before RoPE (Qwen3), and a sliding attention window (Mistral; 0 = none).
 */
public record LlamaStyleOptions(boolean qkvBias, boolean outBias, boolean qkNorm, int slidingWindow)
        implements FamilyOptions {
    public static final LlamaStyleOptions PLAIN = new LlamaStyleOptions(false, false, false, 0);
}
