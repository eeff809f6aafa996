package dev.emend.core.model;

/**
 * The linear maps of a decoder block, named by role rather than by checkpoint tensor name, so
 * adapters (LoRA) and editors address them the same way in every family. GPT-2 fuses query,
 * key and value into one map ({@link #ATTN_QKV}); Llama has them apart and adds a gate.
 */
public enum Projection {
    ATTN_QKV, ATTN_Q, ATTN_K, ATTN_V, ATTN_OUT, MLP_UP, MLP_GATE, MLP_DOWN
}
