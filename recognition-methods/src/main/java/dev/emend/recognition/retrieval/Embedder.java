package dev.emend.recognition.retrieval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDScope;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.runtime.LanguageModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Retrieval vectors from the served model itself: {@link LanguageModel#embed} (mean of the final
 * hidden states over the text's tokens), minus a fixed centre, scaled to unit length.
 *
 * <p>Why the centre: mean-pooled hidden states of a causal LM share a large common direction
 * (anisotropy), so raw cosines of unrelated prompts are all close to 1 and carry little signal.
 * Subtracting the mean vector of a reference set of prompts (the demonstration pool's prompts) is
 * the usual remedy (Mu &amp; Viswanath 2018, "All-but-the-Top"); the references' sentence encoders
 * do not need it. The centre is fixed when the engine starts and every stored vector is kept in
 * the ledger payload, so replay never depends on it.
 */
public final class Embedder {
    /** How token states become one vector. */
    public enum Pooling {
        /** Mean over the tokens: exactly {@link LanguageModel#embed}. */
        MEAN,
        /** The last token's final state: what the model is about to say next. */
        LAST,
        /** Both, each centred and unit length, concatenated and scaled so the cosine is their mean. */
        MEAN_LAST
    }

    private final LanguageModel lm;
    private final float[] centre;
    private final Pooling pooling;
    private final EmbeddingCache cache;

    public Embedder(LanguageModel lm, float[] centre, Pooling pooling) {
        this(lm, centre, pooling, null);
    }

    /** With {@code cache} (may be null), {@link #embedBatch} reads and stores whole lists on disk. */
    public Embedder(LanguageModel lm, float[] centre, Pooling pooling, EmbeddingCache cache) {
        this.lm = lm;
        this.pooling = pooling;
        this.centre = centre == null ? new float[rawDimension(lm, pooling)] : centre.clone();
        this.cache = cache;
    }

    private static int rawDimension(LanguageModel lm, Pooling pooling) {
        return pooling == Pooling.MEAN_LAST ? 2 * lm.config().hiddenSize() : lm.config().hiddenSize();
    }

    /** An embedder whose centre is the mean raw embedding of {@code reference} (zero when empty). */
    public static Embedder centredOn(LanguageModel lm, List<String> reference, Pooling pooling) {
        return centredOn(lm, reference, pooling, null);
    }

    /** {@link #centredOn(LanguageModel, List, Pooling)} whose batches go through {@code cache} (may be null). */
    public static Embedder centredOn(LanguageModel lm, List<String> reference, Pooling pooling, EmbeddingCache cache) {
        Embedder raw = new Embedder(lm, null, pooling, cache);
        int d = rawDimension(lm, pooling);
        float[] mean = new float[d];
        if (!reference.isEmpty()) {
            for (float[] v : raw.cachedRawBatch(reference)) {
                for (int i = 0; i < d; i++) {
                    mean[i] += v[i] / reference.size();
                }
            }
        }
        return new Embedder(lm, mean, pooling, cache);
    }

    public int dimension() {
        return centre.length;
    }

    public Pooling pooling() {
        return pooling;
    }

    /** The centred unit vector of one text (one forward pass of the base model). */
    public float[] embed(String text) {
        if (pooling == Pooling.MEAN) {
            return finish(lm.embed(lm.baseView(), text));
        }
        return finish(rawBatch(List.of(text)).get(0));
    }

    /** Centred unit vectors of many texts, in padded batches; equal to {@link #embed} per text. */
    public List<float[]> embedBatch(List<String> texts) {
        List<float[]> out = new ArrayList<>(texts.size());
        for (float[] v : cachedRawBatch(texts)) {
            out.add(finish(v));
        }
        return out;
    }

    /** {@link #rawBatch} through the cache, for lists long enough to be worth a file. */
    private List<float[]> cachedRawBatch(List<String> texts) {
        if (cache == null || texts.size() < 64) {
            return rawBatch(texts);
        }
        return cache.get(lm.fingerprint(), pooling.name(), texts, rawDimension(lm, pooling), () -> rawBatch(texts));
    }

    private float[] finish(float[] raw) {
        float[] v = new float[raw.length];
        for (int i = 0; i < raw.length; i++) {
            v[i] = raw[i] - centre[i];
        }
        if (pooling == Pooling.MEAN_LAST) {
            int d = raw.length / 2;
            normalise(v, 0, d, Math.sqrt(2));
            normalise(v, d, 2 * d, Math.sqrt(2));
        } else {
            normalise(v, 0, v.length, 1);
        }
        return v;
    }

    private static void normalise(float[] v, int from, int to, double scale) {
        double norm = 0;
        for (int i = from; i < to; i++) {
            norm += (double) v[i] * v[i];
        }
        norm = Math.sqrt(norm) * scale;
        if (norm > 0) {
            for (int i = from; i < to; i++) {
                v[i] = (float) (v[i] / norm);
            }
        }
    }

    /**
     * Raw mean-pooled final hidden states, right-padded batches of 64 texts of similar length
     * (sorted by token count, returned in the caller's order): with a causal mask, right padding
     * does not change the real tokens' states, and the masked mean over real tokens is what
     * {@link LanguageModel#embed} computes for one text. The LM head is not run.
     */
    private List<float[]> rawBatch(List<String> texts) {
        int chunk = 64;
        int d = lm.config().hiddenSize();
        int[][] allIds = new int[texts.size()][];
        for (int t = 0; t < texts.size(); t++) {
            if (texts.get(t) == null || texts.get(t).isEmpty()) {
                throw new IllegalArgumentException("text to embed is empty");
            }
            allIds[t] = lm.encodePrompt(texts.get(t));
        }
        Integer[] order = new Integer[texts.size()];
        for (int t = 0; t < order.length; t++) {
            order[t] = t;
        }
        java.util.Arrays.sort(order, java.util.Comparator.comparingInt(t -> allIds[t].length));
        float[][] out = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += chunk) {
            int size = Math.min(texts.size(), from + chunk) - from;
            int[][] ids = new int[size][];
            int len = 0;
            for (int b = 0; b < size; b++) {
                ids[b] = allIds[order[from + b]];
                len = Math.max(len, ids[b].length);
            }
            if (len > lm.config().maxPositions()) {
                throw new dev.emend.core.model.ContextLengthException(len, lm.config().maxPositions());
            }
            long[][] x = new long[size][len];
            int[][] mask = new int[size][len];
            float[] weights = new float[size * len];
            for (int b = 0; b < size; b++) {
                for (int i = 0; i < ids[b].length; i++) {
                    x[b][i] = ids[b][i];
                    mask[b][i] = 1;
                    weights[b * len + i] = 1f / ids[b].length;
                }
            }
            try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                NDArray hidden = lm.model().forwardHidden(m, lm.weights(), new ForwardInput(x, mask), lm.baseView().hooks(), null)
                        .hidden();
                NDArray w = m.create(weights, new Shape(size, len, 1)).toType(hidden.getDataType(), false);
                float[] pooled = hidden.mul(w).sum(new int[] {1}).toType(DataType.FLOAT32, false).toFloatArray();
                float[] all = pooling == Pooling.MEAN ? null : hidden.toType(DataType.FLOAT32, false).toFloatArray();
                for (int b = 0; b < size; b++) {
                    float[] v = new float[rawDimension(lm, pooling)];
                    int lastAt = (b * len + ids[b].length - 1) * d;
                    switch (pooling) {
                        case MEAN -> System.arraycopy(pooled, b * d, v, 0, d);
                        case LAST -> System.arraycopy(all, lastAt, v, 0, d);
                        case MEAN_LAST -> {
                            System.arraycopy(pooled, b * d, v, 0, d);
                            System.arraycopy(all, lastAt, v, d, d);
                        }
                    }
                    out[order[from + b]] = v;
                }
            }
        }
        return java.util.Arrays.asList(out);
    }
}
