package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.KvCache;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.Projection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Behaviour of the forward pass shared by every family: masking, KV cache, batching, hooks. */
class ForwardPassTest {
    @TempDir
    static Path tmp;

    static final Map<String, LanguageModel> MODELS = new TreeMap<>();

    @BeforeAll
    static void load() {
        long seed = 11;
        for (String family : TinyCheckpoints.FAMILIES) {
            MODELS.put(family, TinyCheckpoints.buildAndLoad(tmp.resolve(family), family, seed++));
        }
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
    }

    static long[] ids(LanguageModel lm, String text) {
        return lm.tokenizer().encodeLong(text);
    }

    static int vocab(LanguageModel lm) {
        return lm.config().vocabSize();
    }

    /** Logits of one row at one position. */
    static float[] row(float[] flat, int vocab, int length, int b, int t) {
        int from = (b * length + t) * vocab;
        return Arrays.copyOfRange(flat, from, from + vocab);
    }

    static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }

    // ------------------------------------------------------------------ 1. causal masking

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void laterTokensNeverChangeEarlierLogits(String family) {
        LanguageModel lm = MODELS.get(family);
        long[] a = ids(lm, "The capital of France is Paris, and people live in Paris.");
        int n = a.length;
        int v = vocab(lm);
        float[] base = lm.logits(lm.baseView(), ForwardInput.of(a));
        for (int changed : new int[] {n - 1, n / 2, 1}) {
            long[] b = a.clone();
            b[changed] = (a[changed] + 37) % (v - 1);
            float[] other = lm.logits(lm.baseView(), ForwardInput.of(b));
            for (int t = 0; t < changed; t++) {
                assertTrue(maxDiff(row(base, v, n, 0, t), row(other, v, n, 0, t)) < 1e-5f,
                        family + ": position " + t + " changed when token " + changed + " changed");
            }
            assertTrue(maxDiff(row(base, v, n, 0, changed), row(other, v, n, 0, changed)) > 1e-4f,
                    family + ": position " + changed + " should see its own token");
        }
    }

    // ------------------------------------------------------------------ 2. KV cache

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void cachedGenerationEqualsFullRecomputation(String family) {
        LanguageModel lm = MODELS.get(family);
        int[] prompt = lm.tokenizer().encode("What is the capital of Norway? It is");
        // No stop token, so both paths run the full length (a random model may pick <|endoftext|>).
        GenerationOptions greedy = new GenerationOptions(20, 0f, 0, 1f, 0L, List.of(), List.of(), true, false);
        int[] cached = lm.generateIds(lm.baseView(), prompt, greedy);
        int[] full = lm.generateIds(lm.baseView(), prompt, greedy.withCache(false));
        assertArrayEquals(full, cached, family);
        int[] stock = lm.generateIds(lm.baseView(), prompt, GenerationOptions.greedy(20));
        int[] stockFull = lm.generateIds(lm.baseView(), prompt, GenerationOptions.greedy(20).withCache(false));
        assertArrayEquals(stockFull, stock, family);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void cachedLogitsEqualFullForwardAtEveryStep(String family) {
        LanguageModel lm = MODELS.get(family);
        long[] seq = ids(lm, "Ada Lovelace was a mathematician who wrote the first program in Paris.");
        int n = seq.length;
        int prompt = 5;
        int v = vocab(lm);
        float[] full = lm.logits(lm.baseView(), ForwardInput.of(seq));
        try (NDManager m = lm.manager().newSubManager(); KvCache cache = new KvCache(m, lm.config().numLayers())) {
            ForwardResult first = lm.model().forward(m, lm.weights(), ForwardInput.of(Arrays.copyOf(seq, prompt)),
                    Hooks.NONE, cache);
            for (int t = 0; t < prompt; t++) {
                float[] got = first.logits().get(new NDIndex(0, t)).toFloatArray();
                assertTrue(maxDiff(row(full, v, n, 0, t), got) < 1e-4f, family + " prefill position " + t);
            }
            for (int t = prompt; t < n; t++) {
                ForwardResult step = lm.model().forward(m, lm.weights(), ForwardInput.of(new long[] {seq[t]}),
                        Hooks.NONE, cache);
                float[] got = step.logits().get(new NDIndex(0, 0)).toFloatArray();
                float[] want = row(full, v, n, 0, t);
                assertTrue(maxDiff(want, got) < 1e-4f, family + " cached step " + t + " differs by " + maxDiff(want, got));
                assertEquals(argmax(want), argmax(got));
            }
            assertEquals(n, cache.length());
        }
    }

    /**
     * The pieces of DeltaOptimiser's layer-wise backward: {@code blockOutputs} from a block's input
     * gives the full pass's block outputs, and the head's {@code inputGradient} is autograd's
     * gradient through the head.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void blockOutputsAndTheHeadsInputGradientMatchTheFullPassAndAutograd(String family) {
        LanguageModel lm = MODELS.get(family);
        int n = lm.config().numLayers();
        int d = lm.config().hiddenSize();
        long[] row = ids(lm, "Ada Lovelace was a mathematician who wrote the first program.");
        ForwardInput in = new ForwardInput(new long[][] {row}, new int[][] {ones(row.length)});
        ai.djl.ndarray.types.Shape shape = new ai.djl.ndarray.types.Shape(1, row.length, d);
        try (NDManager m = lm.manager().newSubManager()) {
            float[][] full = new float[n][];
            LayerHook keep = new LayerHook() {
                @Override
                public NDArray blockOutput(int l, NDArray hidden, HookContext ctx) {
                    full[l] = hidden.toFloatArray();
                    return hidden;
                }
            };
            lm.model().forward(m, lm.weights(), in, Hooks.of(keep), null);
            NDArray[] outs = lm.model().blockOutputs(m, lm.weights(), in, 1, m.create(full[0], shape), n, Hooks.NONE, null);
            assertEquals(n - 1, outs.length);
            for (int l = 1; l < n; l++) {
                float diff = maxDiff(full[l], outs[l - 1].toFloatArray());
                assertTrue(diff < 1e-5f, family + ": block " + l + " output differs by " + diff);
                float one = maxDiff(full[l], lm.model().blockOutputs(m, lm.weights(), in, l, m.create(full[l - 1], shape), l + 1,
                        Hooks.NONE, null)[0].toFloatArray());
                assertTrue(one < 1e-5f, family + ": block " + l + " alone differs by " + one);
            }
            float[] g = new float[2 * vocab(lm)];
            java.util.Random rnd = new java.util.Random(3);
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) rnd.nextGaussian();
            }
            try (dev.emend.core.grad.GradientSession session = dev.emend.core.grad.GradientSession.open()) {
                dev.emend.core.model.DecoderModel.Headless r = lm.model().forwardHidden(m, lm.weights(), in, Hooks.NONE, null);
                NDArray rows = r.hidden().reshape(row.length, d).get(new NDIndex("0:2")).stopGradient();
                rows.setRequiresGradient(true);
                NDArray gArr = m.create(g, new ai.djl.ndarray.types.Shape(2, vocab(lm)));
                session.backward(r.head().apply(rows).mul(gArr).sum());
                float[] byAutograd = rows.getGradient().toFloatArray();
                float[] byHand = r.inputGradient().apply(gArr).toFloatArray();
                float diff = maxDiff(byAutograd, byHand);
                assertTrue(diff < 1e-5f * (1 + maxDiff(byAutograd, new float[byAutograd.length])),
                        family + ": the head's input gradient differs from autograd's by " + diff);
            }
        }
    }

    private static int[] ones(int n) {
        int[] a = new int[n];
        Arrays.fill(a, 1);
        return a;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void resumingAtALayerFromItsInputOverAForkedPrefixCacheEqualsTheFullPass(String family) {
        LanguageModel lm = MODELS.get(family);
        int layer = lm.config().numLayers() / 2;
        int d = lm.config().hiddenSize();
        int v = vocab(lm);
        long[] longRow = ids(lm, "Ada Lovelace was a mathematician who wrote the first program.");
        long[] shortRow = ids(lm, "The capital of Peru is Lima");
        int len = longRow.length;
        int[] split = {len - 3, shortRow.length - 2};
        long[][] rows = {longRow, Arrays.copyOf(shortRow, len)};
        int[][] mask = new int[2][len];
        Arrays.fill(mask[0], 1);
        Arrays.fill(mask[1], 0, shortRow.length, 1);
        ForwardInput in = new ForwardInput(rows, mask);
        try (NDManager m = lm.manager().newSubManager()) {
            float[][] entering = new float[1][];
            LayerHook keep = new LayerHook() {
                @Override
                public NDArray blockOutput(int l, NDArray hidden, HookContext ctx) {
                    if (l == layer - 1) {
                        entering[0] = hidden.toFloatArray();
                    }
                    return hidden;
                }
            };
            float[] full = lm.model().forward(m, lm.weights(), in, Hooks.of(keep), null).logits().toFloatArray();
            // The whole rows, from the layer's input.
            float[] resumed = lm.model().forwardFrom(m, lm.weights(), in, layer, m.create(entering[0], new ai.djl.ndarray.types.Shape(2, len, d)),
                    Hooks.NONE, null).logits().toFloatArray();
            assertTrue(maxDiff(full, resumed) < 1e-4f, family + ": resumed logits differ by " + maxDiff(full, resumed));
            // Prefix (up to split[b]) cached once, then the rest of each row twice over forks of it.
            int p = Math.max(split[0], split[1]);
            int w = Math.max(len - split[0], shortRow.length - split[1]);
            long[][] pIds = new long[2][p];
            int[][] pMask = new int[2][p];
            float[] pHidden = new float[2 * p * d];
            long[][] sIds = new long[2][w];
            int[][] sMask = new int[2][w];
            float[] sHidden = new float[2 * w * d];
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < len && mask[b][t] == 1; t++) {
                    if (t < split[b]) {
                        pIds[b][t] = rows[b][t];
                        pMask[b][t] = 1;
                        System.arraycopy(entering[0], (b * len + t) * d, pHidden, (b * p + t) * d, d);
                    } else {
                        sIds[b][t - split[b]] = rows[b][t];
                        sMask[b][t - split[b]] = 1;
                        System.arraycopy(entering[0], (b * len + t) * d, sHidden, (b * w + t - split[b]) * d, d);
                    }
                }
            }
            try (KvCache prefix = new KvCache(m, lm.config().numLayers())) {
                lm.model().forwardFrom(m, lm.weights(), new ForwardInput(pIds, pMask), layer,
                        m.create(pHidden, new ai.djl.ndarray.types.Shape(2, p, d)), Hooks.NONE, prefix);
                for (int repeat = 0; repeat < 2; repeat++) {
                    try (KvCache fork = prefix.fork()) {
                        float[] rest = lm.model().forwardFrom(m, lm.weights(), new ForwardInput(sIds, sMask), layer,
                                m.create(sHidden, new ai.djl.ndarray.types.Shape(2, w, d)), Hooks.NONE, fork).logits().toFloatArray();
                        for (int b = 0; b < 2; b++) {
                            for (int t = split[b]; t < len && mask[b][t] == 1; t++) {
                                float diff = maxDiff(row(full, v, len, b, t), row(rest, v, w, b, t - split[b]));
                                assertTrue(diff < 1e-4f, family + " row " + b + " position " + t + " (repeat " + repeat
                                        + ") differs by " + diff);
                            }
                        }
                    }
                    assertEquals(p, prefix.length(), "a fork leaves the prefix cache as it was");
                }
                // Only the short row goes on: its rows of the cache (its prefix is shorter than p,
                // so the selected cache ends in padding) continue as the full pass does.
                try (KvCache one = prefix.select(m, new int[] {1})) {
                    assertEquals(p, one.length());
                    assertEquals(1, one.mask().length);
                    int b = 1;
                    float[] rest = lm.model().forwardFrom(m, lm.weights(), new ForwardInput(new long[][] {sIds[b]}, new int[][] {sMask[b]}),
                            layer, m.create(Arrays.copyOfRange(sHidden, b * w * d, (b + 1) * w * d), new ai.djl.ndarray.types.Shape(1, w, d)),
                            Hooks.NONE, one).logits().toFloatArray();
                    for (int t = split[b]; t < len && mask[b][t] == 1; t++) {
                        float diff = maxDiff(row(full, v, len, b, t), row(rest, v, w, 0, t - split[b]));
                        assertTrue(diff < 1e-4f, family + " selected row, position " + t + " differs by " + diff);
                    }
                }
                assertThrows(IndexOutOfBoundsException.class, () -> prefix.select(m, new int[] {2}));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void runningSomeBlocksGivesTheFullPassesActivationsThere(String family) {
        LanguageModel lm = MODELS.get(family);
        int layer = lm.config().numLayers() / 2;
        int d = lm.config().hiddenSize();
        long[] row = ids(lm, "Ada Lovelace was a mathematician.");
        ForwardInput in = ForwardInput.of(row);
        float[][] seen = new float[3][];
        int[] slot = {0};
        int[] highest = {-1};
        LayerHook keep = new LayerHook() {
            @Override
            public NDArray blockOutput(int l, NDArray hidden, HookContext ctx) {
                highest[0] = Math.max(highest[0], l);
                if (l == layer - 1 && slot[0] == 0) {
                    seen[2] = hidden.toFloatArray();
                }
                if (l == layer) {
                    seen[slot[0]] = hidden.toFloatArray();
                }
                return hidden;
            }
        };
        try (NDManager m = lm.manager().newSubManager()) {
            lm.model().forward(m, lm.weights(), in, Hooks.of(keep), null);
            slot[0] = 1;
            highest[0] = -1;
            lm.model().runBlocks(m, lm.weights(), in, 0, null, layer + 1, Hooks.of(keep));
            assertEquals(layer, highest[0], family + ": no block above the last one asked for runs");
            assertTrue(maxDiff(seen[0], seen[1]) < 1e-5f, family + ": blocks from the embeddings");
            seen[1] = null;
            lm.model().runBlocks(m, lm.weights(), in, layer, m.create(seen[2], new ai.djl.ndarray.types.Shape(1, row.length, d)),
                    layer + 1, Hooks.of(keep));
            assertTrue(maxDiff(seen[0], seen[1]) < 1e-5f, family + ": blocks from a kept residual stream");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void leftPaddedBatchWithCacheMatchesSingleRows(String family) {
        LanguageModel lm = MODELS.get(family);
        int v = vocab(lm);
        long[] shortRow = ids(lm, "The capital of Peru");
        long[] longRow = ids(lm, "What is the capital of Greece? It is Athens");
        int len = longRow.length;
        int pad = len - shortRow.length;
        long[][] batch = {new long[len], longRow};
        int[][] mask = {new int[len], new int[len]};
        System.arraycopy(shortRow, 0, batch[0], pad, shortRow.length);
        Arrays.fill(mask[0], pad, len, 1);
        Arrays.fill(mask[1], 1);
        long[] nextShort = ids(lm, " is Lima");
        long[] nextLong = ids(lm, ". The river");
        int steps = Math.min(nextShort.length, nextLong.length);
        long[] shortAll = concat(shortRow, Arrays.copyOf(nextShort, steps));
        long[] longAll = concat(longRow, Arrays.copyOf(nextLong, steps));
        float[] shortFull = lm.logits(lm.baseView(), ForwardInput.of(shortAll));
        float[] longFull = lm.logits(lm.baseView(), ForwardInput.of(longAll));
        try (NDManager m = lm.manager().newSubManager(); KvCache cache = new KvCache(m, lm.config().numLayers())) {
            float[] pre = lm.model().forward(m, lm.weights(), new ForwardInput(batch, mask), Hooks.NONE, cache)
                    .logits().toFloatArray();
            for (int t = 0; t < shortRow.length; t++) {
                assertTrue(maxDiff(row(shortFull, v, shortAll.length, 0, t), row(pre, v, len, 0, pad + t)) < 1e-4f,
                        family + " left-padded prefill position " + t);
            }
            for (int s = 0; s < steps; s++) {
                float[] out = lm.model().forward(m, lm.weights(),
                        ForwardInput.of(new long[] {nextShort[s]}, new long[] {nextLong[s]}), Hooks.NONE, cache)
                        .logits().toFloatArray();
                assertTrue(maxDiff(row(shortFull, v, shortAll.length, 0, shortRow.length + s), row(out, v, 1, 0, 0)) < 1e-4f,
                        family + " padded row, cached step " + s);
                assertTrue(maxDiff(row(longFull, v, longAll.length, 0, longRow.length + s), row(out, v, 1, 1, 0)) < 1e-4f,
                        family + " full row, cached step " + s);
            }
        }
    }

    static long[] concat(long[] a, long[] b) {
        long[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    // ------------------------------------------------------------------ 3. batching

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void batchedScoresEqualSingleScores(String family) {
        LanguageModel lm = MODELS.get(family);
        List<ScoreItem> items = List.of(
                new ScoreItem("The capital of France is", "Paris"),
                new ScoreItem("What is the capital of Kenya? It is", "Nairobi, and people live in Nairobi"),
                new ScoreItem("Oslo is", "the largest city in Norway"),
                new ScoreItem("Marie Curie was a famous physicist born in", "Warsaw"));
        List<ScoreResult> batched = lm.scoreBatch(lm.baseView(), items);
        assertEquals(items.size(), batched.size());
        for (int i = 0; i < items.size(); i++) {
            ScoreResult alone = lm.score(lm.baseView(), items.get(i).prompt(), items.get(i).target());
            ScoreResult inBatch = batched.get(i);
            assertArrayEquals(alone.promptIds(), inBatch.promptIds());
            assertArrayEquals(alone.targetIds(), inBatch.targetIds());
            assertArrayEquals(alone.argmaxIds(), inBatch.argmaxIds(), family + " item " + i);
            assertArrayEquals(alone.logProbs(), inBatch.logProbs(), 1e-4f, family + " item " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void scoreMatchesLogSoftmaxOfLogitsAtTheRightPositions(String family) {
        LanguageModel lm = MODELS.get(family);
        ScoreResult r = lm.score(lm.baseView(), "The capital of Spain is", "Madrid.");
        int p = r.promptIds().length;
        long[] all = new long[p + r.targetIds().length];
        for (int i = 0; i < all.length; i++) {
            all[i] = i < p ? r.promptIds()[i] : r.targetIds()[i - p];
        }
        int v = vocab(lm);
        float[] logits = lm.logits(lm.baseView(), ForwardInput.of(all));
        for (int j = 0; j < r.targetIds().length; j++) {
            float[] at = row(logits, v, all.length, 0, p - 1 + j);
            double max = at[argmax(at)];
            double sum = 0;
            for (float x : at) {
                sum += Math.exp(x - max);
            }
            double logp = at[r.targetIds()[j]] - max - Math.log(sum);
            assertEquals(logp, r.logProbs()[j], 1e-4, family + " target token " + j);
            assertEquals(argmax(at), r.argmaxIds()[j]);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void leftPaddingDoesNotChangeRealPositions(String family) {
        LanguageModel lm = MODELS.get(family);
        int v = vocab(lm);
        long[] a = ids(lm, "The Eiffel Tower is located in Paris");
        long[] b = ids(lm, "Cairo is the largest city in Egypt, and people live in Cairo");
        int len = Math.max(a.length, b.length) + 3;
        long[][] batch = new long[2][len];
        int[][] mask = new int[2][len];
        long[][] rows = {a, b};
        for (int r = 0; r < 2; r++) {
            int pad = len - rows[r].length;
            Arrays.fill(batch[r], 0, pad, 7); // arbitrary pad id: must not matter
            System.arraycopy(rows[r], 0, batch[r], pad, rows[r].length);
            Arrays.fill(mask[r], pad, len, 1);
        }
        float[] padded = lm.logits(lm.baseView(), new ForwardInput(batch, mask));
        for (int r = 0; r < 2; r++) {
            float[] alone = lm.logits(lm.baseView(), ForwardInput.of(rows[r]));
            int pad = len - rows[r].length;
            for (int t = 0; t < rows[r].length; t++) {
                float d = maxDiff(row(alone, v, rows[r].length, 0, t), row(padded, v, len, r, pad + t));
                assertTrue(d < 1e-4f, family + " row " + r + " position " + t + " differs by " + d);
            }
        }
    }

    // ------------------------------------------------------------------ 6. hooks

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void identityHooksChangeNothing(String family) {
        LanguageModel lm = MODELS.get(family);
        ForwardInput in = ForwardInput.of(ids(lm, "The capital of Chile is Santiago."));
        float[] plain = lm.logits(lm.baseView(), in);
        LayerHook identity = new LayerHook() {
            @Override
            public NDArray mlpOutput(int layer, NDArray keys, NDArray out, HookContext ctx) {
                return out;
            }

            @Override
            public NDArray projection(int layer, Projection p, NDArray input, NDArray output, HookContext ctx) {
                return output;
            }
        };
        float[] hooked = lm.logits(lm.baseView().withHooks(Hooks.of(identity)), in);
        assertArrayEquals(plain, hooked, 0f, family);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void addingAVectorAtTheMlpOutputChangesLogits(String family) {
        LanguageModel lm = MODELS.get(family);
        ForwardInput in = ForwardInput.of(ids(lm, "The capital of Chile is Santiago."));
        float[] plain = lm.logits(lm.baseView(), in);
        int d = lm.config().hiddenSize();
        float[] vec = new float[d];
        for (int i = 0; i < d; i++) {
            vec[i] = (i % 2 == 0 ? 1f : -1f) * (1 + i % 5);
        }
        List<Integer> seenLayers = new ArrayList<>();
        LayerHook add = new LayerHook() {
            @Override
            public NDArray mlpOutput(int layer, NDArray keys, NDArray out, HookContext ctx) {
                seenLayers.add(layer);
                assertEquals(lm.config().intermediateSize(), keys.getShape().get(2));
                assertEquals(d, out.getShape().get(2));
                return layer == 1 ? out.add(out.getManager().create(vec)) : out;
            }
        };
        float[] hooked = lm.logits(lm.baseView().withHooks(Hooks.of(add)), in);
        assertEquals(List.of(0, 1), seenLayers);
        assertTrue(maxDiff(plain, hooked) > 1e-2f, family + ": the added vector must move the logits");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gptj", "llama", "mistral", "qwen2", "qwen3"})
    void projectionHookSeesEveryLinearOfEveryLayer(String family) {
        LanguageModel lm = MODELS.get(family);
        long[] in = ids(lm, "Lima is old.");
        Set<Projection> expected = switch (family) {
            case "gpt2" -> EnumSet.of(Projection.ATTN_QKV, Projection.ATTN_OUT, Projection.MLP_UP, Projection.MLP_DOWN);
            case "gptj" -> EnumSet.of(Projection.ATTN_Q, Projection.ATTN_K, Projection.ATTN_V, Projection.ATTN_OUT,
                    Projection.MLP_UP, Projection.MLP_DOWN);
            default -> EnumSet.of(Projection.ATTN_Q, Projection.ATTN_K, Projection.ATTN_V, Projection.ATTN_OUT,
                    Projection.MLP_GATE, Projection.MLP_UP, Projection.MLP_DOWN);
        };
        List<Set<Projection>> seen = new ArrayList<>();
        for (int l = 0; l < lm.config().numLayers(); l++) {
            seen.add(EnumSet.noneOf(Projection.class));
        }
        LayerHook spy = new LayerHook() {
            @Override
            public NDArray projection(int layer, Projection p, NDArray input, NDArray output, HookContext ctx) {
                seen.get(layer).add(p);
                LinearRef ref = lm.model().linear(layer, p);
                assertEquals(ref.inFeatures(), input.getShape().get(2), p + " input width");
                assertEquals(ref.outFeatures(), output.getShape().get(2), p + " output width");
                assertEquals(in.length, ctx.newTokens());
                return output;
            }
        };
        lm.logits(lm.baseView().withHooks(Hooks.of(spy)), ForwardInput.of(in));
        for (int l = 0; l < seen.size(); l++) {
            assertEquals(expected, seen.get(l), family + " layer " + l);
        }
    }

    // ------------------------------------------------------------------ 7. sliding window

    @org.junit.jupiter.api.Test
    void mistralSlidingWindowBoundsHowFarBackATokenReaches() {
        LanguageModel lm = MODELS.get("mistral");
        int window = TinyCheckpoints.MISTRAL_WINDOW;
        long[] a = ids(lm, "What is the capital of Kenya? It is Nairobi, and people live in Nairobi.");
        int n = a.length;
        int layers = lm.config().numLayers();
        // Each layer looks back at most window-1 positions, so token 0 reaches positions < layers*(window-1)+1.
        int reach = layers * (window - 1);
        assertTrue(n > reach + 2, "sentence too short for the test: " + n);
        int v = vocab(lm);
        float[] base = lm.logits(lm.baseView(), ForwardInput.of(a));
        long[] b = a.clone();
        b[0] = (a[0] + 37) % (v - 1);
        float[] other = lm.logits(lm.baseView(), ForwardInput.of(b));
        for (int t = 0; t < n; t++) {
            float d = maxDiff(row(base, v, n, 0, t), row(other, v, n, 0, t));
            if (t <= reach) {
                assertTrue(d > 1e-5f, "position " + t + " is within reach of token 0 but did not change");
            } else {
                assertTrue(d == 0f, "position " + t + " is beyond the window's reach but changed by " + d);
            }
        }
    }
}
