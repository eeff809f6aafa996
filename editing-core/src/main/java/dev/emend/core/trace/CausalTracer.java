package dev.emend.core.trace;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Causal tracing (Meng et al., "Locating and Editing Factual Associations in GPT", 2022): which
 * hidden states carry a fact from the subject to the prediction.
 *
 * <ol>
 *   <li>Clean run: the prompt as is; every layer's attention output, MLP output and block output
 *       (residual stream) is recorded at every token, and p_clean(answer) read at the last token.
 *   <li>Corrupted runs: Gaussian noise is added to the input embeddings at the subject's tokens,
 *       {@code samples} draws batched as one forward from a fixed seed; p_corrupt is the mean.
 *       The noise scale is σ = {@code noiseMultiplier} (3, as ROME) × an embedding standard
 *       deviation: by default the std of the model's whole token-embedding matrix (every row and
 *       feature: one σ for every prompt, as ROME, computed without a corpus);
 *       {@link #withEmbeddingStd(double)} sets it, e.g. to ROME's std of the subjects' token
 *       embeddings over a fact set ({@link #subjectEmbeddingStd}). ROME adds the noise to the
 *       token embeddings (wte); here it is added to token + position embedding, which is the
 *       same sum. (Before 2026-11-25 the std of the prompt's own input embeddings was used; on
 *       emend-facts the three stds differ by &lt; 10%, see the README.)
 *   <li>Restored runs: for each (layer, token), the clean value is written back into all noise
 *       samples (same noise every time) and the mean p(answer) recorded. Block: that layer's
 *       residual at that token. MLP / attention: the sub-layer outputs at that token in a window
 *       of layers {@code [l − ⌊w/2⌋, l + ⌈w/2⌉)} clipped to the model, with
 *       {@code w = max(1, round(numLayers · 10 / 48))} by default (ROME's 10 of GPT-2 XL's 48).
 * </ol>
 * One forward of {@code samples} rows per restoration, {@code 3 · layers · tokens} in all.
 */
public final class CausalTracer {
    private final LanguageModel lm;
    private final int samples;
    private final double noiseMultiplier;
    private final long seed;
    private final int window;
    private final double embeddingStd;

    public CausalTracer(LanguageModel lm) {
        this(lm, 10, 3.0, 1L, defaultWindow(lm.config().numLayers()));
    }

    public CausalTracer(LanguageModel lm, int samples, double noiseMultiplier, long seed, int window) {
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be >= 1, got " + samples);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1, got " + window);
        }
        if (noiseMultiplier < 0 || Double.isNaN(noiseMultiplier)) {
            throw new IllegalArgumentException("noise multiplier must be >= 0, got " + noiseMultiplier);
        }
        this.lm = lm;
        this.samples = samples;
        this.noiseMultiplier = noiseMultiplier;
        this.seed = seed;
        this.window = window;
        this.embeddingStd = tokenEmbeddingStd(lm, null);
    }

    private CausalTracer(CausalTracer o, double embeddingStd) {
        this.lm = o.lm;
        this.samples = o.samples;
        this.noiseMultiplier = o.noiseMultiplier;
        this.seed = o.seed;
        this.window = o.window;
        this.embeddingStd = embeddingStd;
    }

    /** This tracer with σ = multiplier × {@code std} (e.g. {@link #subjectEmbeddingStd}). */
    public CausalTracer withEmbeddingStd(double std) {
        if (!(std >= 0) || Double.isInfinite(std)) {
            throw new IllegalArgumentException("embedding std must be >= 0 and finite, got " + std);
        }
        return new CausalTracer(this, std);
    }

    public double embeddingStd() {
        return embeddingStd;
    }

    public int samples() {
        return samples;
    }

    public long seed() {
        return seed;
    }

    public double noiseMultiplier() {
        return noiseMultiplier;
    }

    /**
     * Standard deviation over all features of the token-embedding rows {@code ids} (every row
     * when null), in float64.
     */
    public static double tokenEmbeddingStd(LanguageModel lm, int[] ids) {
        NDArray e = lm.weights().get(lm.model().tokenEmbeddingName());
        int d = (int) e.getShape().get(1);
        float[] all;
        if (e.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32) {
            all = e.toFloatArray();
        } else {
            // Weights held in half precision: a temporary float32 copy, freed at once.
            try (NDArray f = e.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)) {
                all = f.toFloatArray();
            }
        }
        double sum = 0;
        double sq = 0;
        long n = 0;
        int rows = ids == null ? (int) e.getShape().get(0) : ids.length;
        for (int r = 0; r < rows; r++) {
            int row = ids == null ? r : ids[r];
            for (int j = 0; j < d; j++) {
                double v = all[row * d + j];
                sum += v;
                sq += v * v;
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("no token ids to take the embedding std over");
        }
        double mean = sum / n;
        return Math.sqrt(Math.max(0, sq / n - mean * mean));
    }

    /**
     * ROME's noise scale ({@code collect_embedding_std}): the std of the token embeddings of the
     * subjects' tokens (each subject tokenized as it stands inside a sentence, with a leading space).
     */
    public static double subjectEmbeddingStd(LanguageModel lm, List<String> subjects) {
        List<Integer> ids = new ArrayList<>();
        for (String s : subjects) {
            for (int id : lm.tokenizer().encode(" " + s.strip())) {
                ids.add(id);
            }
        }
        return tokenEmbeddingStd(lm, ids.stream().mapToInt(Integer::intValue).toArray());
    }

    /** ROME's window of 10 layers in 48, scaled: {@code max(1, round(numLayers · 10 / 48))}. */
    public static int defaultWindow(int numLayers) {
        return Math.max(1, (int) Math.round(numLayers * 10.0 / 48.0));
    }

    public int window() {
        return window;
    }

    /** The prompt's ids and the subject's token span {@code [start, end)}. */
    record Located(int[] ids, int start, int end) {}

    /**
     * Tokenizes prefix, subject and suffix apart (as RomeEditor does) so the subject's span is
     * exact; a space before the subject moves into it. Uses the subject's first occurrence.
     */
    Located locate(String prompt, String subject) {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("prompt is empty");
        }
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("subject is empty");
        }
        int at = prompt.indexOf(subject);
        if (at < 0) {
            throw new IllegalArgumentException("subject '" + subject + "' does not occur in prompt '" + prompt + "'");
        }
        String prefix = prompt.substring(0, at);
        String word = subject;
        String suffix = prompt.substring(at + subject.length());
        if (prefix.endsWith(" ")) {
            prefix = prefix.substring(0, prefix.length() - 1);
            word = " " + subject;
        }
        TextTokenizer tok = lm.tokenizer();
        int[] bos = bos();
        int[] p = prefix.isEmpty() ? new int[0] : tok.encode(prefix);
        int[] w = tok.encode(word);
        int[] s = suffix.isEmpty() ? new int[0] : tok.encode(suffix);
        if (w.length == 0) {
            throw new IllegalArgumentException("subject '" + subject + "' tokenizes to nothing");
        }
        int[] ids = new int[bos.length + p.length + w.length + s.length];
        System.arraycopy(bos, 0, ids, 0, bos.length);
        System.arraycopy(p, 0, ids, bos.length, p.length);
        System.arraycopy(w, 0, ids, bos.length + p.length, w.length);
        System.arraycopy(s, 0, ids, bos.length + p.length + w.length, s.length);
        if (ids.length > lm.config().maxPositions()) {
            throw new IllegalArgumentException("prompt has " + ids.length + " tokens, the model takes "
                    + lm.config().maxPositions());
        }
        int start = bos.length + p.length;
        return new Located(ids, start, start + w.length);
    }

    /** The BOS the checkpoint's tokenizer files put first, or nothing (see SpecialTokens). */
    private int[] bos() {
        return lm.specialTokens().prefix();
    }

    /** The prompt's token ids as traced (family BOS included), for {@link NeuronAttribution}. */
    public int[] promptIds(String prompt, String subject) {
        return locate(prompt, subject).ids();
    }

    /** Traces with the model's own greedy next token as the answer. */
    public TraceResult trace(String prompt, String subject) {
        return trace(prompt, subject, null);
    }

    /**
     * Traces {@code prompt} with {@code subject} corrupted. The answer is the first token of
     * {@code target} (with a leading space unless the prompt ends in one), or the model's greedy
     * next token when {@code target} is null.
     */
    public TraceResult trace(String prompt, String subject, String target) {
        return trace(lm.baseView(), prompt, subject, target);
    }

    /**
     * Traces on {@code view} (an edited space's weights and hooks, or the base model); otherwise as
     * {@link #trace(String, String, String)}.
     */
    public TraceResult trace(ModelView view, String prompt, String subject, String target) {
        long t0 = System.nanoTime();
        long c0 = cpuNanos();
        Located loc = locate(prompt, subject);
        int answerGiven = -1;
        if (target != null) {
            String t = prompt.endsWith(" ") ? target.strip() : " " + target.strip();
            int[] ids = target.isBlank() ? new int[0] : lm.tokenizer().encode(t);
            if (ids.length == 0) {
                throw new IllegalArgumentException("target '" + target + "' tokenizes to nothing");
            }
            answerGiven = ids[0];
        }
        int layers = lm.config().numLayers();
        int len = loc.ids().length;
        try (NDManager m = lm.manager().newSubManager(); NDScope outer = new NDScope()) {
            // 1) clean run, recording every state
            NDArray[] cleanAttn = new NDArray[layers];
            NDArray[] cleanMlp = new NDArray[layers];
            NDArray[] cleanBlock = new NDArray[layers];
            NDArray[] cleanEmb = new NDArray[1];
            LayerHook recorder = new LayerHook() {
                @Override
                public NDArray embeddings(NDArray hidden, HookContext ctx) {
                    cleanEmb[0] = hidden;
                    return hidden;
                }

                @Override
                public NDArray attentionOutput(int layer, NDArray out, HookContext ctx) {
                    cleanAttn[layer] = out;
                    return out;
                }

                @Override
                public NDArray mlpOutput(int layer, NDArray keys, NDArray out, HookContext ctx) {
                    cleanMlp[layer] = out;
                    return out;
                }

                @Override
                public NDArray blockOutput(int layer, NDArray hidden, HookContext ctx) {
                    cleanBlock[layer] = hidden;
                    return hidden;
                }
            };
            long[][] one = new long[1][len];
            for (int i = 0; i < len; i++) {
                one[0][i] = loc.ids()[i];
            }
            NDArray cleanLogits = lm.model().forward(m, view.weights(), ForwardInput.of(one[0]),
                    view.hooks().with(recorder), null).logits();
            NDArray cleanProbs = cleanLogits.get(0, len - 1).softmax(-1);
            int answer = answerGiven >= 0 ? answerGiven
                    : (int) cleanProbs.argMax().toType(ai.djl.ndarray.types.DataType.INT64, false).getLong();
            float pClean = cleanProbs.getFloat(answer);

            // 2) noise: σ = multiplier × the embedding std (fixed per tracer, as ROME)
            float sigma = (float) (noiseMultiplier * embeddingStd);
            int d = (int) cleanEmb[0].getShape().get(2);
            float[] noise = new float[samples * len * d];
            Random rnd = new Random(seed);
            for (int s = 0; s < samples; s++) {
                for (int t = loc.start(); t < loc.end(); t++) {
                    for (int j = 0; j < d; j++) {
                        noise[(s * len + t) * d + j] = (float) (rnd.nextGaussian() * sigma);
                    }
                }
            }
            NDArray noiseArr = m.create(noise, new Shape(samples, len, d));
            LayerHook corrupt = new LayerHook() {
                @Override
                public NDArray embeddings(NDArray hidden, HookContext ctx) {
                    return hidden.add(noiseArr);
                }
            };
            long[][] batch = new long[samples][];
            int[][] mask = new int[samples][len];
            for (int s = 0; s < samples; s++) {
                batch[s] = one[0];
                java.util.Arrays.fill(mask[s], 1);
            }
            ForwardInput corruptInput = new ForwardInput(batch, mask);
            Hooks corruptHooks = view.hooks().with(corrupt);
            float pCorrupt = run(m, view, corruptInput, corruptHooks, answer, len);

            // 3) restorations. Deviation from ROME's loop (one forward per (token, layer)): the
            // restorations of several layers run as one batch, `samples` rows per layer, each row
            // group restoring its own layer(s) at token t. Rows do not interact, so the numbers are
            // those of separate forwards; on a CPU it is several times faster for small models.
            float[][] block = new float[layers][len];
            float[][] mlp = new float[layers][len];
            float[][] attn = new float[layers][len];
            int groupsPer = Math.max(1, Math.min(layers, MAX_ROWS / samples));
            for (int g0 = 0; g0 < layers; g0 += groupsPer) {
                int groups = Math.min(groupsPer, layers - g0);
                int rows = groups * samples;
                long[][] bigIds = new long[rows][];
                int[][] bigMask = new int[rows][len];
                for (int r = 0; r < rows; r++) {
                    bigIds[r] = one[0];
                    java.util.Arrays.fill(bigMask[r], 1);
                }
                ForwardInput bigInput = new ForwardInput(bigIds, bigMask);
                NDArray bigNoise = noiseArr.tile(new long[] {groups, 1, 1});
                Hooks bigCorrupt = view.hooks().with(new LayerHook() {
                    @Override
                    public NDArray embeddings(NDArray hidden, HookContext ctx) {
                        return hidden.add(bigNoise);
                    }
                });
                for (int t = 0; t < len; t++) {
                    if (t < loc.start()) {
                        // Before the subject the corrupted run's states equal the clean ones (the
                        // noise is only at the subject and attention is causal): restoring them
                        // changes nothing, so p_corrupt is exact and no forward is needed.
                        for (int g = 0; g < groups; g++) {
                            block[g0 + g][t] = pCorrupt;
                            mlp[g0 + g][t] = pCorrupt;
                            attn[g0 + g][t] = pCorrupt;
                        }
                        continue;
                    }
                    NDArray[][] blockMasks = masks(m, layers, g0, groups, 1, t, len);
                    NDArray[][] winMasks = masks(m, layers, g0, groups, window, t, len);
                    float[] pb = runGroups(m, view, bigInput, bigCorrupt.with(new LayerHook() {
                        @Override
                        public NDArray blockOutput(int i, NDArray hidden, HookContext ctx) {
                            return blockMasks[i] == null ? hidden : restore(hidden, cleanBlock[i], blockMasks[i][0], blockMasks[i][1]);
                        }
                    }), answer, len, groups);
                    float[] pm = runGroups(m, view, bigInput, bigCorrupt.with(new LayerHook() {
                        @Override
                        public NDArray mlpOutput(int i, NDArray keys, NDArray out, HookContext ctx) {
                            return winMasks[i] == null ? out : restore(out, cleanMlp[i], winMasks[i][0], winMasks[i][1]);
                        }
                    }), answer, len, groups);
                    float[] pa = runGroups(m, view, bigInput, bigCorrupt.with(new LayerHook() {
                        @Override
                        public NDArray attentionOutput(int i, NDArray out, HookContext ctx) {
                            return winMasks[i] == null ? out : restore(out, cleanAttn[i], winMasks[i][0], winMasks[i][1]);
                        }
                    }), answer, len, groups);
                    for (int g = 0; g < groups; g++) {
                        block[g0 + g][t] = pb[g];
                        mlp[g0 + g][t] = pm[g];
                        attn[g0 + g][t] = pa[g];
                    }
                }
            }
            List<String> tokens = new ArrayList<>(len);
            for (int id : loc.ids()) {
                tokens.add(lm.tokenizer().decode(new int[] {id}));
            }
            return new TraceResult(List.copyOf(tokens), loc.start(), loc.end(), answer,
                    lm.tokenizer().decode(new int[] {answer}), pClean, pCorrupt, sigma, window, block, mlp, attn,
                    samples, (System.nanoTime() - t0) / 1e6, (cpuNanos() - c0) / 1e6);
        }
    }

    /** CPU time of this thread (PyTorch with one intra-op thread computes on it), or 0 if unsupported. */
    static long cpuNanos() {
        java.lang.management.ThreadMXBean b = java.lang.management.ManagementFactory.getThreadMXBean();
        return b.isCurrentThreadCpuTimeSupported() ? b.getCurrentThreadCpuTime() : 0L;
    }

    /** Most rows per batched forward (restorations of several layers share one forward). */
    private static final int MAX_ROWS = 96;

    /**
     * Per layer i, {keep, sel} masks {@code [groups·samples, len, 1]} for restoring token t in
     * the row groups whose window contains layer i (group g restores layers
     * {@code [c − ⌊w/2⌋, c + ⌈w/2⌉)} around its centre c = g0 + g), or null where no group does.
     */
    private NDArray[][] masks(NDManager m, int layers, int g0, int groups, int w, int t, int len) {
        NDArray[][] out = new NDArray[layers][];
        for (int i = 0; i < layers; i++) {
            float[] sel = new float[groups * samples * len];
            boolean any = false;
            for (int g = 0; g < groups; g++) {
                int c = g0 + g;
                int lo = Math.max(0, c - w / 2);
                int hi = Math.min(layers, c + (w + 1) / 2);
                if (i >= lo && i < hi) {
                    any = true;
                    for (int s = 0; s < samples; s++) {
                        sel[(g * samples + s) * len + t] = 1f;
                    }
                }
            }
            if (any) {
                float[] keep = new float[sel.length];
                for (int j = 0; j < sel.length; j++) {
                    keep[j] = 1f - sel[j];
                }
                Shape shape = new Shape(groups * samples, len, 1);
                out[i] = new NDArray[] {m.create(keep, shape), m.create(sel, shape)};
            }
        }
        return out;
    }

    /** Mean probability of {@code answer} at the last position per group of {@code samples} rows. */
    private float[] runGroups(NDManager m, ModelView view, ForwardInput in, Hooks hooks, int answer, int len, int groups) {
        try (NDScope scope = new NDScope()) {
            NDArray logits = lm.model().forward(m, view.weights(), in, hooks, null).logits();
            return logits.get(":, " + (len - 1) + ", :").softmax(-1).get(":, " + answer)
                    .reshape(groups, samples).mean(new int[] {1}).toFloatArray();
        }
    }

    /** {@code x} with the selected token replaced by {@code clean} (broadcast over the samples). */
    private static NDArray restore(NDArray x, NDArray clean, NDArray keep, NDArray sel) {
        return x.mul(keep).add(clean.mul(sel));
    }

    /** Mean probability of {@code answer} at the last position over the batch; frees its temporaries. */
    private float run(NDManager m, ModelView view, ForwardInput in, Hooks hooks, int answer, int len) {
        try (NDScope scope = new NDScope()) {
            NDArray logits = lm.model().forward(m, view.weights(), in, hooks, null).logits();
            return logits.get(":, " + (len - 1) + ", :").softmax(-1).get(":, " + answer).mean().getFloat();
        }
    }
}
