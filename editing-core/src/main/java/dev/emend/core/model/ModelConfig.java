package dev.emend.core.model;

import com.google.gson.JsonObject;

/**
 * The architecture numbers of a decoder-only checkpoint, read from its Hugging Face
 * {@code config.json}. The numbers every family has live here; fields a family does not use keep
 * their neutral value (GPT-2 has {@code numKvHeads == numHeads} and no RoPE). What only one
 * family (or one group of families) has — GPT-J's {@code rotary_dim}, Mistral's sliding window,
 * Qwen's biases and q/k norms — is that family's typed {@link FamilyOptions} record, read with
 * {@link #options(Class)}. {@code headDim} is explicit because Qwen3 (and Mistral, optionally)
 * set {@code head_dim} apart from {@code hidden_size / num_attention_heads}.
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
        JsonObject raw,
        int headDim,
        FamilyOptions options) {

    public ModelConfig {
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(numLayers > 0, "num_hidden_layers/n_layer", numLayers);
        require(numHeads > 0, "num_attention_heads/n_head", numHeads);
        require(numKvHeads > 0 && numHeads % numKvHeads == 0, "num_key_value_heads", numKvHeads);
        require(hiddenSize > 0, "hidden_size/n_embd", hiddenSize);
        require(headDim > 0, "head_dim (or hidden_size / num_attention_heads)", headDim);
        require(intermediateSize > 0, "intermediate_size/n_inner", intermediateSize);
        require(maxPositions > 0, "max_position_embeddings/n_positions", maxPositions);
        if (options == null) {
            options = FamilyOptions.NONE;
        }
    }

    /** A config whose head width is {@code hiddenSize / numHeads} and that has no family options. */
    public ModelConfig(String modelType, int vocabSize, int numLayers, int numHeads, int numKvHeads, int hiddenSize,
                       int intermediateSize, int maxPositions, float normEps, float ropeTheta, boolean tieWordEmbeddings,
                       int bosTokenId, int eosTokenId, JsonObject raw) {
        this(modelType, vocabSize, numLayers, numHeads, numKvHeads, hiddenSize, intermediateSize, maxPositions, normEps,
                ropeTheta, tieWordEmbeddings, bosTokenId, eosTokenId, raw, evenHeadDim(hiddenSize, numHeads), FamilyOptions.NONE);
    }

    /** {@code hidden / heads}, refusing a hidden size that does not divide (the field is named). */
    public static int evenHeadDim(int hidden, int heads) {
        require(heads > 0, "num_attention_heads/n_head", heads);
        require(hidden > 0 && hidden % heads == 0, "hidden_size/n_embd", hidden);
        return hidden / heads;
    }

    /** This family's typed options; a family asking for another family's type is a programming error. */
    public <T extends FamilyOptions> T options(Class<T> type) {
        if (!type.isInstance(options)) {
            throw new IllegalStateException("model_type '" + modelType + "' carries " + options.getClass().getSimpleName()
                    + ", not " + type.getSimpleName());
        }
        return type.cast(options);
    }

    private static void require(boolean ok, String field, Object value) {
        if (!ok) {
            throw new CheckpointException("config.json: field '" + field + "' has an invalid value " + value
                    + " (it must be positive, and hidden size must divide by heads, heads by kv heads)");
        }
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
        if (!o.has(name) || o.get(name).isJsonNull()) {
            return fallback;
        }
        var e = o.get(name);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw new CheckpointException("config.json: field '" + name + "' is not true/false: " + e);
        }
        return e.getAsBoolean();
    }

    /** A string field, or {@code fallback} when absent or null. */
    public static String stringField(JsonObject o, String fallback, String name) {
        if (!o.has(name) || o.get(name).isJsonNull()) {
            return fallback;
        }
        var e = o.get(name);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new CheckpointException("config.json: field '" + name + "' is not a string: " + e);
        }
        return e.getAsString();
    }

    /** Refuses a field whose value this family does not implement, naming the field and what is supported. */
    public static void refuse(String family, String field, Object value, String supported) {
        throw new CheckpointException("config.json: field '" + field + "' = " + value + " is not supported for "
                + family + " (" + supported + ")");
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
