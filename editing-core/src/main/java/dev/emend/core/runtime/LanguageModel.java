package dev.emend.core.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.BaseWeights;
import dev.emend.core.model.ContextLengthException;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.KvCache;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.ModelFamily;
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
    private final int eosId;
    private final int bosId;

    public LanguageModel(Path directory, ModelFamily family, DecoderModel model, BaseWeights weights,
                         TextTokenizer tokenizer, NDManager manager, String fingerprint) {
        this.directory = directory;
        this.family = family;
        this.model = model;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.fingerprint = fingerprint;
        this.eosId = resolveEos(tokenizer, model.config());
        this.bosId = resolveBos(directory, family, model.config());
    }

    private static int resolveEos(TextTokenizer tokenizer, ModelConfig config) {
        try {
            return tokenizer.eosId();
        } catch (IllegalStateException e) {
            return config.eosTokenId();
        }
    }

    /**
     * Llama tokenizers put a begin-of-text token before every text (HF {@code add_bos_token},
     * default true for Llama) and the model's outputs depend on it; GPT-2's do not. Our
     * tokenizer wrapper never adds special tokens, so the model adds it here, once.
     */
    private static int resolveBos(Path dir, ModelFamily family, ModelConfig config) {
        boolean add = family.addsBosByDefault();
        Path tc = dir == null ? null : dir.resolve("tokenizer_config.json");
        if (tc != null && java.nio.file.Files.isRegularFile(tc)) {
            try {
                var o = com.google.gson.JsonParser.parseString(java.nio.file.Files.readString(tc)).getAsJsonObject();
                if (o.has("add_bos_token") && !o.get("add_bos_token").isJsonNull()) {
                    add = o.get("add_bos_token").getAsBoolean();
                }
            } catch (java.io.IOException | RuntimeException e) {
                throw new dev.emend.core.model.CheckpointException(tc + ": not valid JSON (" + e.getMessage() + ")", e);
            }
        }
        return add ? config.bosTokenId() : -1;
    }

    /** Token ids of a prompt as the model expects them (with BOS where the family uses one). */
    public int[] encodePrompt(String text) {
        int[] ids = tokenizer.encode(text);
        if (bosId < 0) {
            return ids;
        }
        int[] out = new int[ids.length + 1];
        out[0] = bosId;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** The end-of-text id generation stops at, or -1 when the checkpoint names none. */
    public int eosId() {
        return eosId;
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
        for (int[][] pt : pairs) {
            if (pt[1].length == 0) {
                throw new IllegalArgumentException("target tokenizes to nothing");
            }
            len = Math.max(len, pt[0].length + pt[1].length);
        }
        long[][] ids = new long[batch][len];
        int[][] mask = new int[batch][len];
        long[] next = new long[batch * len];
        for (int b = 0; b < batch; b++) {
            int[] p = pairs.get(b)[0];
            int[] t = pairs.get(b)[1];
            int n = p.length + t.length;
            for (int i = 0; i < n; i++) {
                ids[b][i] = i < p.length ? p[i] : t[i - p.length];
                mask[b][i] = 1;
            }
            for (int i = 0; i + 1 < n; i++) {
                next[b * len + i] = ids[b][i + 1];
            }
        }
        int[] argmax;
        float[] logp;
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            ForwardResult r = model.forward(m, view.weights(), new ForwardInput(ids, mask), view.hooks(), null);
            NDArray logSoftmax = r.logits().logSoftmax(-1);
            NDArray nextIds = m.create(next, new Shape(batch, len, 1));
            logp = logSoftmax.gather(nextIds, 2).toFloatArray();
            argmax = toInts(r.logits().argMax(-1));
        }
        List<ScoreResult> out = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            int[] p = pairs.get(b)[0];
            int[] t = pairs.get(b)[1];
            int[] am = new int[t.length];
            float[] lp = new float[t.length];
            for (int j = 0; j < t.length; j++) {
                int pos = p.length - 1 + j;
                am[j] = argmax[b * len + pos];
                lp[j] = logp[b * len + pos];
            }
            out.add(new ScoreResult(p, t, am, lp));
        }
        return out;
    }

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
        return (o.stopAtEos() && id == eosId) || o.stopTokenIds().contains(id);
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
                    ForwardResult r = model.forward(m, view.weights(), ForwardInput.of(input), view.hooks(), cache);
                    long t = r.logits().getShape().get(1);
                    logits = r.logits().get(new NDIndex(0, t - 1)).toFloatArray();
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
            ForwardResult r = model.forward(m, view.weights(), ForwardInput.of(toLongs(ids)), view.hooks(), null);
            return r.hidden().mean(new int[] {1}).toFloatArray();
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
