package dev.emend.mastery.kn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDScope;
import dev.emend.core.edit.Progress;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.LinearRef;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.memit.MemitUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Knowledge neurons (Dai et al. 2022), as EasyEdit runs them ({@code models/kn}, after EleutherAI's
 * knowledge-neurons library):
 * <ol>
 *   <li><b>Attribution.</b> For the prompt and each token t_i of the ground truth, the MLP activation
 *       a_l (the down-projection's input, size d_ff) of every layer l at the last position is scaled
 *       by α ∈ linspace(0, 1, steps), and the integrated gradient
 *       IG_l = a_l ⊙ (1/steps) Σ_α ∂P(t_i | prompt; α·a_l)/∂(α·a_l) is summed over the steps (Riemann
 *       sum), then averaged over the ground-truth tokens. For token i &gt; 0 the prompt is extended by the
 *       model's own greedy tokens, as EasyEdit does.</li>
 *   <li><b>Selection.</b> Neurons with IG above {@code adaptive_threshold} × the largest IG over all
 *       layers are the prompt's coarse neurons; with {@code refine}, only neurons shared by more than
 *       p × (number of prompts) prompts stay (EasyEdit passes one prompt and refine = false).</li>
 *   <li><b>Edit.</b> Each selected neuron's value vector (its column of the down-projection in math
 *       orientation) moves from the model's current prediction to the new target:
 *       v += 2·(E[target] − E[original]) for a one-token target, v += Σ E[target_j] − Σ E[original_j]
 *       otherwise, E the input token embeddings and "original" the greedy tokens the model gives now.</li>
 * </ol>
 * Every selected neuron of a layer receives the same vector, so the update is rank one per layer,
 * ΔW_l = δ · s_lᵀ with s_l the 0/1 indicator of the layer's selected neurons: it is stored as a
 * {@link MemitUpdate} (method "KN"), which the overlay applies and the ledger replays unchanged.
 *
 * <p>Deviations from EasyEdit, each because Emend tokenizes targets one way everywhere: the ground
 * truth and the target are the continuation {@code " " + text} of the prompt (EasyEdit's KN encodes
 * them without the leading space, a different token for GPT-2-style tokenizers); the greedy tokens
 * that extend the prompt are appended as ids, not decoded and re-tokenized.
 */
public final class KnEditor {
    /** One MLP neuron: its layer and its index in the layer's d_ff activations. */
    public record Neuron(int layer, int index) {}

    /** Attribution of one prompt: IG per layer and neuron, and the neurons selected. */
    public record Attribution(float[][] scores, double threshold, List<Neuron> neurons) {}

    private final LanguageModel lm;
    private final KnHyperParams hp;
    private Progress progress = Progress.NONE;

    public KnEditor(LanguageModel lm, KnHyperParams hp) {
        this.lm = lm;
        this.hp = hp;
    }

    /** Reports each layer's attribution; a report that throws (a cancelled operation) stops it. */
    public KnEditor withProgress(Progress p) {
        this.progress = p == null ? Progress.NONE : p;
        return this;
    }

    /** IG of the ground truth's tokens to every neuron, [layer][neuron], and the neurons above the threshold. */
    public Attribution attribute(ModelView view, String prompt, String groundTruth) {
        int[][] pair = lm.tokenizePair(prompt, groundTruth);
        int layers = lm.config().numLayers();
        int dff = lm.model().mlpDown(0).inFeatures();
        double[][] sum = new double[layers][dff];
        long[] ids = toLong(pair[0]);
        int[] truth = pair[1];
        for (int i = 0; i < truth.length; i++) {
            Baseline base = baseline(view, ids);
            for (int l = 0; l < layers; l++) {
                progress.report("attribution", (double) (i * layers + l) / (truth.length * layers));
                float[] g = integratedGradient(view, ids, l, base.keys()[l], truth[i]);
                for (int n = 0; n < dff; n++) {
                    sum[l][n] += g[n];
                }
            }
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = base.argmax();
        }
        float[][] scores = new float[layers][dff];
        double max = Double.NEGATIVE_INFINITY;
        for (int l = 0; l < layers; l++) {
            for (int n = 0; n < dff; n++) {
                scores[l][n] = (float) (sum[l][n] / truth.length);
                max = Math.max(max, scores[l][n]);
            }
        }
        double threshold = max * hp.adaptiveThreshold();
        List<Neuron> neurons = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (int n = 0; n < dff; n++) {
                if (scores[l][n] > threshold) {
                    neurons.add(new Neuron(l, n));
                }
            }
        }
        return new Attribution(scores, threshold, neurons);
    }

    /** The coarse neurons of every prompt, refined (shared by more than p of them) when asked. */
    public List<Neuron> refined(ModelView view, List<String> prompts, String groundTruth) {
        Map<Neuron, Integer> count = new LinkedHashMap<>();
        for (String p : prompts) {
            for (Neuron n : attribute(view, p, groundTruth).neurons()) {
                count.merge(n, 1, Integer::sum);
            }
        }
        double t = prompts.size() * hp.p();
        return count.entrySet().stream().filter(e -> !hp.refine() || e.getValue() > t).map(Map.Entry::getKey).toList();
    }

    /**
     * The edit of {@code neurons} toward {@code targetNew} for {@code prompt}: one rank-one layer
     * delta per layer that has selected neurons. With no neuron selected the update is empty.
     */
    public MemitUpdate edit(ModelView view, String prompt, String targetNew, List<Neuron> neurons) {
        int[][] pair = lm.tokenizePair(prompt, targetNew);
        int[] target = pair[1];
        long[] ids = toLong(pair[0]);
        int[] original = new int[target.length];
        for (int i = 0; i < target.length; i++) {
            original[i] = baseline(view, ids).argmax();
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = original[i];
        }
        NDArray embeddings = view.weights().get(lm.model().tokenEmbeddingName());
        int dModel = lm.config().hiddenSize();
        double scale = target.length == 1 ? 2 : 1;
        double[] delta = new double[dModel];
        for (int i = 0; i < target.length; i++) {
            float[] t = row(embeddings, target[i]);
            float[] o = row(embeddings, original[i]);
            for (int j = 0; j < dModel; j++) {
                delta[j] += scale * ((double) t[j] - o[j]);
            }
        }
        float[] a = new float[dModel];
        double norm = 0;
        for (int j = 0; j < dModel; j++) {
            a[j] = (float) delta[j];
            norm += delta[j] * delta[j];
        }
        Map<Integer, List<Integer>> byLayer = new TreeMap<>();
        for (Neuron n : neurons) {
            byLayer.computeIfAbsent(n.layer(), k -> new ArrayList<>()).add(n.index());
        }
        List<MemitUpdate.LayerDelta> layers = new ArrayList<>();
        for (Map.Entry<Integer, List<Integer>> e : byLayer.entrySet()) {
            LinearRef down = lm.model().mlpDown(e.getKey());
            int dff = down.inFeatures();
            float[] b = new float[dff];
            e.getValue().forEach(n -> b[n] = 1f);
            layers.add(new MemitUpdate.LayerDelta(e.getKey(), down.weight(), down.layout(), 1, dModel, dff, a.clone(), b));
        }
        return new MemitUpdate("KN", layers, new double[] {Math.sqrt(norm)}, new double[] {0}, new int[] {neurons.size()},
                new double[] {Double.NaN});
    }

    private record Baseline(float[][] keys, int argmax) {}

    /** One forward of {@code ids}: the last position's MLP activations of every layer, and its greedy token. */
    private Baseline baseline(ModelView view, long[] ids) {
        int layers = lm.config().numLayers();
        float[][] keys = new float[layers][];
        int last = ids.length - 1;
        LayerHook capture = new LayerHook() {
            @Override
            public NDArray mlpKeys(int layer, NDArray k, HookContext ctx) {
                keys[layer] = k.get(new NDIndex("0, {}, :", last)).toType(DataType.FLOAT32, false).toFloatArray();
                return k;
            }
        };
        try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            ForwardResult r = lm.model().forward(m, view.weights(), input(ids, 1), view.hooks().with(Hooks.of(capture)), null);
            int argmax = (int) r.logits().get(new NDIndex("0, {}, :", last)).argMax().getLong();
            return new Baseline(keys, argmax);
        }
    }

    /** IG_l of token {@code truth} at the last position: a_l ⊙ (1/steps) Σ ∂P/∂(α a_l). */
    private float[] integratedGradient(ModelView view, long[] ids, int layer, float[] activation, int truth) {
        int dff = activation.length;
        int len = ids.length;
        double[] gradSum = new double[dff];
        int batch = hp.batchSize();
        try (GradientSession g = GradientSession.open()) {
            for (int from = 0; from < hp.steps(); from += batch) {
                try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                    float[] scaled = new float[batch * dff];
                    for (int b = 0; b < batch; b++) {
                        double alpha = hp.steps() == 1 ? 0 : (double) (from + b) / (hp.steps() - 1);
                        for (int n = 0; n < dff; n++) {
                            scaled[b * dff + n] = (float) (alpha * activation[n]);
                        }
                    }
                    NDArray a = m.create(scaled, new Shape(batch, dff));
                    a.setRequiresGradient(true);
                    float[] sel = new float[len];
                    sel[len - 1] = 1f;
                    NDArray select = m.create(sel, new Shape(1, len, 1));
                    NDArray keep = select.neg().add(1f);
                    LayerHook replace = new LayerHook() {
                        @Override
                        public NDArray mlpKeys(int l, NDArray k, HookContext ctx) {
                            if (l != layer) {
                                return k;
                            }
                            NDArray at = a.toType(k.getDataType(), false).expandDims(1);
                            return k.mul(keep.toType(k.getDataType(), false)).add(at.mul(select.toType(k.getDataType(), false)));
                        }
                    };
                    ForwardResult r = lm.model().forward(m, view.weights(), input(ids, batch),
                            view.hooks().with(Hooks.of(replace)), null);
                    NDArray probs = r.logits().get(new NDIndex(":, {}, :", len - 1)).softmax(-1);
                    NDArray p = probs.get(new NDIndex(":, {}", truth)).sum();
                    g.backward(p);
                    float[] grad = a.getGradient().toFloatArray();
                    for (int b = 0; b < batch; b++) {
                        for (int n = 0; n < dff; n++) {
                            gradSum[n] += grad[b * dff + n];
                        }
                    }
                }
            }
        }
        float[] ig = new float[dff];
        for (int n = 0; n < dff; n++) {
            ig[n] = (float) (activation[n] * gradSum[n] / hp.steps());
        }
        return ig;
    }

    private static ForwardInput input(long[] ids, int batch) {
        long[][] rows = new long[batch][];
        int[][] mask = new int[batch][ids.length];
        for (int b = 0; b < batch; b++) {
            rows[b] = ids.clone();
            Arrays.fill(mask[b], 1);
        }
        return new ForwardInput(rows, mask);
    }

    private static float[] row(NDArray embeddings, int token) {
        return embeddings.get(token).toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static long[] toLong(int[] ids) {
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = ids[i];
        }
        return out;
    }
}
