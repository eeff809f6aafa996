package dev.emend.mastery.trace;

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
 *       The noise scale is σ = {@code noiseMultiplier} (3, as ROME) × the standard deviation of
 *       the embeddings entering layer 0 over this prompt's tokens and all features (token plus
 *       position embedding for GPT-2). ROME takes the std of subject embeddings over a corpus;
 *       the prompt's own embeddings are a simple, corpus-free stand-in of the same order.
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

    /** The BOS the family prepends (Llama), or nothing (GPT-2). */
    private int[] bos() {
        int[] with = lm.encodePrompt("a");
        int[] without = lm.tokenizer().encode("a");
        return with.length > without.length ? new int[] {with[0]} : new int[0];
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
        ModelView view = lm.baseView();
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

            // 2) noise: σ = multiplier × std of the prompt's layer-0 input embeddings
            float[] emb = cleanEmb[0].toFloatArray();
            double mean = 0;
            for (float v : emb) {
                mean += v;
            }
            mean /= emb.length;
            double var = 0;
            for (float v : emb) {
                var += (v - mean) * (v - mean);
            }
            float sigma = (float) (noiseMultiplier * Math.sqrt(var / emb.length));
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

            // 3) restorations
            float[][] block = new float[layers][len];
            float[][] mlp = new float[layers][len];
            float[][] attn = new float[layers][len];
            for (int t = 0; t < len; t++) {
                float[] sel = new float[len];
                float[] keep = new float[len];
                java.util.Arrays.fill(keep, 1f);
                sel[t] = 1f;
                keep[t] = 0f;
                NDArray selArr = m.create(sel, new Shape(1, len, 1));
                NDArray keepArr = m.create(keep, new Shape(1, len, 1));
                for (int l = 0; l < layers; l++) {
                    final int layer = l;
                    int lo = Math.max(0, l - window / 2);
                    int hi = Math.min(layers, l + (window + 1) / 2);
                    block[l][t] = run(m, view, corruptInput, corruptHooks.with(new LayerHook() {
                        @Override
                        public NDArray blockOutput(int i, NDArray hidden, HookContext ctx) {
                            return i == layer ? restore(hidden, cleanBlock[i], keepArr, selArr) : hidden;
                        }
                    }), answer, len);
                    mlp[l][t] = run(m, view, corruptInput, corruptHooks.with(new LayerHook() {
                        @Override
                        public NDArray mlpOutput(int i, NDArray keys, NDArray out, HookContext ctx) {
                            return i >= lo && i < hi ? restore(out, cleanMlp[i], keepArr, selArr) : out;
                        }
                    }), answer, len);
                    attn[l][t] = run(m, view, corruptInput, corruptHooks.with(new LayerHook() {
                        @Override
                        public NDArray attentionOutput(int i, NDArray out, HookContext ctx) {
                            return i >= lo && i < hi ? restore(out, cleanAttn[i], keepArr, selArr) : out;
                        }
                    }), answer, len);
                }
            }
            List<String> tokens = new ArrayList<>(len);
            for (int id : loc.ids()) {
                tokens.add(lm.tokenizer().decode(new int[] {id}));
            }
            return new TraceResult(List.copyOf(tokens), loc.start(), loc.end(), answer,
                    lm.tokenizer().decode(new int[] {answer}), pClean, pCorrupt, sigma, window, block, mlp, attn);
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
