package dev.emend.core.model;

import ai.djl.ndarray.NDArray;

/**
 * Output of a forward call: next-token logits {@code [batch, newTokens, vocab]} and the final
 * hidden states after the last norm {@code [batch, newTokens, d_model]}.
 */
public record ForwardResult(NDArray logits, NDArray hidden) {}
