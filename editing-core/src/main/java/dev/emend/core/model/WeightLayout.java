package dev.emend.core.model;

/**
 * How a linear map's matrix is stored. GPT-2's Conv1D stores {@code [d_in, d_out]} and computes
 * {@code x W}; {@code nn.Linear} (Llama) stores {@code [d_out, d_in]} and computes {@code x Wᵀ}.
 * Editors that write rank-one updates must know which, to put u and v on the right sides.
 */
public enum WeightLayout {
    IN_OUT, OUT_IN
}
