package dev.emend.core.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.BaseWeights;
import dev.emend.core.model.CheckpointException;
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.KvCache;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamily;
import dev.emend.core.tokenizer.SpecialTokens;
import dev.emend.core.tokenizer.TextTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A loaded causal language model: family, base weights, tokenizer, and the operations every
 * phase builds on — teacher-forced {@link #score}, {@link #generate} with a KV cache, and
 * {@link #embed}. Each operation takes a {@link ModelView} so the same loaded model serves the
 * base and every edited space. Thread-safe for concurrent reads: every call works in its own
 * sub-manager and {@link NDScope}, and copies results to Java arrays before returning, so native
 * memory does not grow with the number of calls.
 */
public final class LanguageModel implements AutoCloseable {
    private final Path directory;
    private final ModelFamily family;
    private final DecoderModel model;
    private final BaseWeights weights;
    private final TextTokenizer tokenizer;
    private final NDManager manager;
    private final String fingerprint;
    private final SpecialTokens specialTokens;

    public LanguageModel(Path directory, ModelFamily family, DecoderModel model, BaseWeights weights,
                         TextTokenizer tokenizer, NDManager manager, String fingerprint) {
        this.directory = directory;
        this.family = family;
        this.model = model;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.fingerprint = fingerprint;
        this.specialTokens = specialTokens(directory, tokenizer, family);
    }

    /** The checkpoint's special-token policy (see {@link SpecialTokens}); errors name the file. */
    public static SpecialTokens specialTokens(Path directory, TextTokenizer tokenizer, ModelFamily family) {
        try {
            return SpecialTokens.resolve(directory, tokenizer, family.addsBosByDefault(), family.name());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(e.getMessage(), e);
        }
    }

    /**
     * Token ids of a text as the model reads it: the tokenizer's ids after the checkpoint's BOS
     * when it uses one ({@link SpecialTokens#frame}). Every prompt, document and context goes
     * through here; a continuation appended to an encoded prompt (a target) uses
     * {@code tokenizer().encode} alone.
     */
    public int[] encodePrompt(String text) {
        return specialTokens.frame(tokenizer.encode(text));
    }

    /** The BOS/EOS policy this model follows. */
    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    /** The primary end-of-text id (appended to documents), or -1 when the checkpoint names none. */
    public int eosId() {
        return specialTokens.primaryEos();
    }

    /**
     * The primary end-of-text token as text (e.g. {@code <|endoftext|>}, {@code <|end_of_text|>},
     * {@code </s>}), which the tokenizer encodes back to its id: for prompts that separate
     * documents the way the model saw them in training.
     *
     * @throws IllegalStateException when the checkpoint names no end-of-text token
     */
    public String eosText() {
        int id = eosId();
        if (id < 0) {
            throw new IllegalStateException(directory + ": the checkpoint names no end-of-text token "
                    + "(config.json, generation_config.json and tokenizer_config.json have none)");
        }
        return tokenizer.decode(new int[] {id});
    }

    /** True when {@code id} is one of the checkpoint's end-of-text ids (all of them stop generation). */
    public boolean isEos(int id) {
        return specialTokens.isEos(id);
    }

    public Path directory() {
        return directory;
    }

    public ModelFamily family() {
        return family;
    }

    public DecoderModel model() {
        return model;
    }

    public ModelConfig config() {
        return model.config();
    }

    public BaseWeights weights() {
        return weights;
    }

    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** The manager owning the base weights; spaces create their overlays under it. */
    public NDManager manager() {
        return manager;
    }

    /** Identifies the exact checkpoint (config, tensor headers and data samples). */
    public String fingerprint() {
        return fingerprint;
    }

    public ModelView baseView() {
        return new ModelView(weights, Hooks.NONE);
    }

    // ---------------------------------------------------------------- score

    /** Teacher-forced score of {@code prompt + " " + target} (EasyEdit's convention). */
    public ScoreResult score(ModelView view, String prompt, String target) {
        return scoreBatch(view, List.of(new ScoreItem(prompt, target))).get(0);
    }

    /** Scores many pairs in one padded batch (right padding; pads are masked out). */
    public List<ScoreResult> scoreBatch(ModelView view, List<ScoreItem> items) {
        List<int[][]> split = new ArrayList<>();
        for (ScoreItem it : items) {
            split.add(tokenizePair(it.prompt(), it.target()));
        }
        List<ScoreResult> out = new ArrayList<>(items.size());
        int chunk = 32;
        for (int from = 0; from < split.size(); from += chunk) {
            out.addAll(scoreIds(view, split.subList(from, Math.min(split.size(), from + chunk))));
        }
        return out;
    }

    /**
     * Splits {@code prompt + " " + target} into prompt and target ids, tokenizing the whole
     * string (as EasyEdit does) and taking the prompt's own token count as the boundary.
     */
    public int[][] tokenizePair(String prompt, String target) {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("prompt is empty");
        }
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("target is empty");
        }
        int[] p = encodePrompt(prompt);
        int[] full = encodePrompt(prompt + " " + target);
        int[] t;
        if (full.length > p.length && Arrays.equals(Arrays.copyOf(full, p.length), p)) {
            t = Arrays.copyOfRange(full, p.length, full.length);
        } else {
            // The joint tokenization merged across the boundary (e.g. a prompt ending in a
            // space): fall back to tokenizing the two parts apart, as ROME does.
            t = tokenizer.encode(" " + target);
        }
        if (p.length + t.length > config().maxPositions()) {
            throw new ContextLengthException(p.length + t.length, config().maxPositions());
        }
        return new int[][] {p, t};
    }

    /** Scores pre-tokenized (prompt, target) pairs in one batch. */
    public List<ScoreResult> scoreIds(ModelView view, List<int[][]> pairs) {
        int batch = pairs.size();
        int len = 0;
        int targets = 0;
        for (int[][] pt : pairs) {
            if (pt[1].length == 0) {
                throw new IllegalArgumentException("target tokenizes to nothing");
            }
            if (pt[0].length == 0) {
                throw new IllegalArgumentException("prompt tokenizes to nothing: the first target token has no position to be scored at");
            }
            len = Math.max(len, pt[0].length + pt[1].length);
            targets += pt[1].length;
        }
        long[][] ids = new long[batch][len];
        int[][] mask = new int[batch][len];
        for (int b = 0; b < batch; b++) {
            int[] p = pairs.get(b)[0];
            int[] t = pairs.get(b)[1];
            int n = p.length + t.length;
            for (int i = 0; i < n; i++) {
                ids[b][i] = i < p.length ? p[i] : t[i - p.length];
                mask[b][i] = 1;
            }
        }
        // Only the positions whose next token is a target token get the LM head, in chunks of
        // HEAD_ROWS rows: never [batch, len, vocab] logits (a 3,000-token text with a 128k vocab
        // would need 1.5 GB for them and as much again for their log-softmax).
        long[] rows = new long[targets];
        long[] next = new long[targets];
        int k = 0;
        for (int b = 0; b < batch; b++) {
            int[] p = pairs.get(b)[0];
            int[] t = pairs.get(b)[1];
            for (int j = 0; j < t.length; j++) {
                rows[k] = (long) b * len + p.length - 1 + j;
                next[k++] = t[j];
            }
        }
        int[] argmax = new int[targets];
        float[] logp = new float[targets];
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            DecoderModel.Headless h = model.forwardHidden(m, view.weights(), new ForwardInput(ids, mask), view.hooks(), null);
            NDArray flat = h.hidden().reshape(-1, h.hidden().getShape().get(2));
            NDArray scored = flat.get(new NDIndex("{}", m.create(rows)));
            for (int from = 0; from < targets; from += HEAD_ROWS) {
                int to = Math.min(targets, from + HEAD_ROWS);
                try (NDScope chunk = new NDScope()) {
                    NDArray logits = h.head().apply(scored.get(new NDIndex("{}:{}", from, to)));
                    NDArray nextIds = m.create(Arrays.copyOfRange(next, from, to), new Shape(to - from, 1));
                    System.arraycopy(logits.logSoftmax(-1).gather(nextIds, 1).toFloatArray(), 0, logp, from, to - from);
                    System.arraycopy(toInts(logits.argMax(-1)), 0, argmax, from, to - from);
                }
            }
        }
        List<ScoreResult> out = new ArrayList<>(batch);
        k = 0;
        for (int[][] pt : pairs) {
            int n = pt[1].length;
            out.add(new ScoreResult(pt[0], pt[1], Arrays.copyOfRange(argmax, k, k + n), Arrays.copyOfRange(logp, k, k + n)));
            k += n;
        }
        return out;
    }

    /** Target positions per LM-head chunk in scoring: 64 rows of a 128k vocab are 33 MB of logits. */
    private static final int HEAD_ROWS = 64;

    private static int[] toInts(NDArray a) {
        long[] l = a.toType(ai.djl.ndarray.types.DataType.INT64, false).toLongArray();
        int[] r = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            r[i] = (int) l[i];
        }
        return r;
    }

    // ---------------------------------------------------------------- generate

    public Generation generate(ModelView view, String prompt, GenerationOptions options) {
        if (prompt == null || prompt.isEmpty()) {
            throw new IllegalArgumentException("prompt is empty");
        }
        int[] promptIds = encodePrompt(prompt);
        if (promptIds.length >= config().maxPositions()) {
            throw new ContextLengthException(promptIds.length + 1, config().maxPositions());
        }
        int[] gen = generateIds(view, promptIds, options);
        String text = tokenizer.decode(gen);
        String reason;
        if (gen.length > 0 && isStop(gen[gen.length - 1], options)) {
            reason = "stop_token";
        } else if (gen.length >= options.maxNewTokens()) {
            reason = "max_tokens";
        } else {
            reason = "context_full";
        }
        for (String stop : options.stopStrings()) {
            int at = text.indexOf(stop);
            if (at >= 0) {
                text = text.substring(0, at);
                reason = "stop_string";
            }
        }
        return new Generation(text, gen, reason);
    }

    private boolean isStop(int id, GenerationOptions o) {
        return (o.stopAtEos() && specialTokens.isEos(id)) || o.stopTokenIds().contains(id);
    }

    /**
     * Generates after {@code promptIds}; returns only the new ids (a final stop token included).
     * Stops early when the context is full.
     */
    public int[] generateIds(ModelView view, int[] promptIds, GenerationOptions o) {
        Random rnd = new Random(o.seed());
        List<Integer> out = new ArrayList<>();
        int limit = config().maxPositions();
        try (NDManager m = manager.newSubManager(); KvCache cache = o.useCache() ? new KvCache(m, config().numLayers()) : null) {
            long[] feed = toLongs(promptIds);
            List<Long> all = new ArrayList<>();
            for (int id : promptIds) {
                all.add((long) id);
            }
            while (out.size() < o.maxNewTokens() && all.size() < limit) {
                float[] logits;
                try (NDScope scope = new NDScope()) {
                    long[] input = o.useCache() ? feed : all.stream().mapToLong(Long::longValue).toArray();
                    // The head runs on the last position only (a long prompt's prefill would
                    // otherwise build [tokens, vocab] logits to read one row of them).
                    DecoderModel.Headless h = model.forwardHidden(m, view.weights(), ForwardInput.of(input), view.hooks(), cache);
                    long t = h.hidden().getShape().get(1);
                    logits = h.head().apply(h.hidden().get(new NDIndex("0, {}:{}", t - 1, t))).toFloatArray();
                }
                // Real checkpoints often pad the embedding matrix past the tokenizer's ids; never
                // emit an id the tokenizer cannot decode.
                if (logits.length > tokenizer.vocabSize()) {
                    logits = Arrays.copyOf(logits, tokenizer.vocabSize());
                }
                int next = pick(logits, o, rnd);
                out.add(next);
                all.add((long) next);
                feed = new long[] {next};
                if (isStop(next, o)) {
                    break;
                }
                if (!o.stopStrings().isEmpty()) {
                    String text = tokenizer.decode(out.stream().mapToInt(Integer::intValue).toArray());
                    if (o.stopStrings().stream().anyMatch(text::contains)) {
                        break;
                    }
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long[] toLongs(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i];
        }
        return r;
    }

    /** Greedy argmax, or temperature/top-k/top-p sampling. */
    static int pick(float[] logits, GenerationOptions o, Random rnd) {
        if (o.temperature() <= 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int k = o.topK() > 0 ? Math.min(o.topK(), logits.length) : logits.length;
        double max = logits[order[0]];
        double[] p = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            p[i] = Math.exp((logits[order[i]] - max) / o.temperature());
            sum += p[i];
        }
        int keep = k;
        if (o.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < k; i++) {
                cum += p[i] / sum;
                if (cum >= o.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += p[i];
        }
        double r = rnd.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= p[i];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    // ---------------------------------------------------------------- embed

    /** Mean of the final hidden states over the text's tokens (for retrieval). */
    public float[] embed(ModelView view, String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("text to embed is empty");
        }
        int[] ids = encodePrompt(text);
        if (ids.length > config().maxPositions()) {
            throw new ContextLengthException(ids.length, config().maxPositions());
        }
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            return model.forwardHidden(m, view.weights(), ForwardInput.of(toLongs(ids)), view.hooks(), null)
                    .hidden().mean(new int[] {1}).toFloatArray();
        }
    }

    /** Logits of a raw batch, copied out: {@code [batch][tokens][vocab]} flattened. For tests and tools. */
    public float[] logits(ModelView view, ForwardInput input) {
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            return model.forward(m, view.weights(), input, view.hooks(), null).logits().toFloatArray();
        }
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}
