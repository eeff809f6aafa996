package dev.emend.core.model;

import com.google.gson.JsonObject;

/**
 * The architecture numbers of a decoder-only checkpoint, read from its Hugging Face
 * {@code config.json}. One record serves every family; fields a family does not use keep
 * their neutral value (GPT-2 has {@code numKvHeads == numHeads} and no RoPE).
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int hiddenSize,
        int intermediateSize,
        int maxPositions,
        float normEps,
        float ropeTheta,
        boolean tieWordEmbeddings,
        int bosTokenId,
        int eosTokenId,
        JsonObject raw) {

    public ModelConfig {
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(numLayers > 0, "num_hidden_layers/n_layer", numLayers);
        require(numHeads > 0, "num_attention_heads/n_head", numHeads);
        require(numKvHeads > 0 && numHeads % numKvHeads == 0, "num_key_value_heads", numKvHeads);
        require(hiddenSize > 0 && hiddenSize % numHeads == 0, "hidden_size/n_embd", hiddenSize);
        require(intermediateSize > 0, "intermediate_size/n_inner", intermediateSize);
        require(maxPositions > 0, "max_position_embeddings/n_positions", maxPositions);
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new CheckpointException("config.json: field '" + field + "' has an invalid value " + value
                    + " (it must be positive, and hidden size must divide by heads, heads by kv heads)");
        }
    }

    public int headDim() {
        return hiddenSize / numHeads;
    }

    /** Marks an integer field as required in {@link #intField}. */
    public static final int REQUIRED = Integer.MIN_VALUE;

    /** The first present field among {@code names}, or {@code fallback}; errors name the field. */
    public static int intField(JsonObject o, int fallback, String... names) {
        for (String n : names) {
            if (o.has(n) && !o.get(n).isJsonNull()) {
                try {
                    return o.get(n).getAsInt();
                } catch (RuntimeException e) {
                    throw new CheckpointException("config.json: field '" + n + "' is not an integer: " + o.get(n));
                }
            }
        }
        if (fallback == REQUIRED) {
            throw new CheckpointException("config.json: missing required field '" + String.join("' or '", names) + "'");
        }
        return fallback;
    }

    public static float floatField(JsonObject o, float fallback, String... names) {
        for (String n : names) {
            if (o.has(n) && !o.get(n).isJsonNull()) {
                try {
                    return o.get(n).getAsFloat();
                } catch (RuntimeException e) {
                    throw new CheckpointException("config.json: field '" + n + "' is not a number: " + o.get(n));
                }
            }
        }
        return fallback;
    }

    public static boolean boolField(JsonObject o, boolean fallback, String name) {
        return o.has(name) && !o.get(name).isJsonNull() ? o.get(name).getAsBoolean() : fallback;
    }

    /** A token id field that may be absent (-1), a number, or a list (first element). */
    public static int tokenId(JsonObject o, String name) {
        if (!o.has(name) || o.get(name).isJsonNull()) {
            return -1;
        }
        var e = o.get(name);
        return e.isJsonArray() ? e.getAsJsonArray().get(0).getAsInt() : e.getAsInt();
    }
}
