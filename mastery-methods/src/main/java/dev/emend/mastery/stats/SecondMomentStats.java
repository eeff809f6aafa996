package dev.emend.mastery.stats;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Computes the second moment C = (1/N) Σ k kᵀ of a layer's MLP keys over every non-pad token of a
 * text corpus, by batched forward passes with a hook on the keys. Each batch's KᵀK is formed in
 * float64 by PyTorch and accumulated in float64, so the result does not depend on the batch size
 * beyond rounding. Documents longer than the context are truncated.
 */
public final class SecondMomentStats {

    /** Progress after each batch: documents processed so far, of how many, and tokens counted. */
    @FunctionalInterface
    public interface Progress {
        void update(int documentsDone, int documentsTotal, long tokens);

        Progress NONE = (d, t, n) -> { };
    }

    private SecondMomentStats() {
    }

    /** C of {@code layer} over {@code documents}, forwarding {@code batchSize} documents at a time. */
    public static SecondMoment compute(LanguageModel lm, ModelView view, int layer, List<String> documents,
                                       int batchSize, Progress progress) {
        int layers = lm.config().numLayers();
        if (layer < 0 || layer >= layers) {
            throw new IllegalArgumentException("layer " + layer + " is out of range: the model has layers 0.." + (layers - 1));
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        int maxLen = lm.config().maxPositions();
        List<int[]> docs = new ArrayList<>();
        for (String d : documents) {
            int[] ids = lm.encodePrompt(d); // with the checkpoint's BOS, as EasyEdit's layer_stats tokenizes
            if (ids.length == 0) {
                continue;
            }
            docs.add(ids.length > maxLen ? java.util.Arrays.copyOf(ids, maxLen) : ids);
        }
        if (docs.isEmpty()) {
            throw new IllegalArgumentException("the corpus for layer " + layer + " statistics has no tokens");
        }
        // Similar lengths in a batch waste little compute on padding; order does not change C.
        docs.sort(Comparator.comparingInt(a -> a.length));
        int dff = lm.model().mlpDown(layer).inFeatures();
        long tokens = 0;
        double[] result;
        try (NDManager acc = lm.manager().newSubManager()) {
            NDArray sum = acc.zeros(new Shape(dff, dff), DataType.FLOAT64);
            for (int from = 0; from < docs.size(); from += batchSize) {
                List<int[]> batch = docs.subList(from, Math.min(docs.size(), from + batchSize));
                int len = batch.stream().mapToInt(a -> a.length).max().orElseThrow();
                long[][] ids = new long[batch.size()][len];
                int[][] mask = new int[batch.size()][len];
                float[] flatMask = new float[batch.size() * len];
                for (int b = 0; b < batch.size(); b++) {
                    int[] d = batch.get(b);
                    for (int t = 0; t < d.length; t++) {
                        ids[b][t] = d[t];
                        mask[b][t] = 1;
                        flatMask[b * len + t] = 1f;
                    }
                    tokens += d.length;
                }
                try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                    NDArray[] captured = new NDArray[1];
                    LayerHook capture = new LayerHook() {
                        @Override
                        public NDArray mlpKeys(int l, NDArray keys, HookContext ctx) {
                            if (l == layer) {
                                captured[0] = keys;
                            }
                            return keys;
                        }
                    };
                    lm.model().forward(m, view.weights(), new ForwardInput(ids, mask), view.hooks().with(Hooks.of(capture)), null);
                    NDArray rowMask = m.create(flatMask, new Shape((long) batch.size() * len, 1));
                    NDArray k = rowMask.mul(captured[0].reshape((long) batch.size() * len, dff)).toType(DataType.FLOAT64, false);
                    sum.addi(k.transpose().matMul(k));
                }
                progress.update(Math.min(docs.size(), from + batchSize), docs.size(), tokens);
            }
            result = sum.toDoubleArray();
        }
        for (int i = 0; i < result.length; i++) {
            result[i] /= tokens;
        }
        return new SecondMoment(layer, dff, tokens, result);
    }
}
