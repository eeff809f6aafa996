package dev.emend.core.model;

import ai.djl.ndarray.NDArray;

/**
 * A point of interception in the forward pass. Each method receives an activation and returns
 * the one the model continues with: return the argument to only read it, return a new array to
 * replace it (ROME's value optimisation, GRACE codebooks, WISE side memories, causal tracing's
 * corruption and restoration). Shapes are {@code [batch, newTokens, features]}.
 */
public interface LayerHook {
    /** Token (and, for GPT-2, position) embeddings entering layer 0. */
    default NDArray embeddings(NDArray hidden, HookContext ctx) {
        return hidden;
    }

    /** Output of the attention sub-layer of {@code layer} (after its output projection). */
    default NDArray attentionOutput(int layer, NDArray out, HookContext ctx) {
        return out;
    }

    /** Input of the MLP down-projection ("keys" k, size d_ff) of {@code layer}. */
    default NDArray mlpKeys(int layer, NDArray keys, HookContext ctx) {
        return keys;
    }

    /** Output of the MLP ("values" v, size d_model), with the keys that produced it. */
    default NDArray mlpOutput(int layer, NDArray keys, NDArray out, HookContext ctx) {
        return out;
    }

    /** The residual stream after {@code layer} (the block output). */
    default NDArray blockOutput(int layer, NDArray hidden, HookContext ctx) {
        return hidden;
    }

    /** Output of one linear map, with its input (adapters add {@code B A x} here). */
    default NDArray projection(int layer, Projection projection, NDArray input, NDArray output, HookContext ctx) {
        return output;
    }
}
