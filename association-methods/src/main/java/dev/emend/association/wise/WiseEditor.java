package dev.emend.association.wise;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.association.engine.InnerParams;
import dev.emend.association.engine.TargetBatch;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.grad.TrainedTensor;
import dev.emend.core.model.Activations;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import dev.emend.core.model.Scalars;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Computes one WISE edit: the side memory's delta D (start: the shard being written) is trained
 * with SGD ({@code edit_lr}, at most {@code n_iter} steps) on a batch of the edit row
 * (prompt + target, teacher-forced) and irrelevant rows, the forward running the side memory
 * (out + x·D) on every row, with loss
 * <pre>
 *   CE(target) + mean⁺(Δ(x_irr) − Δ(x_e) + γ) + mean⁺(Δ(x_irr) − α) + mean⁺(β − Δ(x_e))
 * </pre>
 * where Δ(x) is the mean over the row's tokens of ‖act(out + x·D) − act(out)‖ (the reference's
 * {@code euc}; ‖x·D‖ with {@code activation_distance} off) and mean⁺ averages the positive entries
 * (EasyEdit); α, β, γ = {@code act_margin}. The gradient is multiplied by the shard's random mask
 * ({@code mask_ratio} of the entries, one mask per shard of {@code save_freq} edits), and D is
 * clamped to ±{@code norm_constraint} (W_v′ within W_v ± c). The payload holds only the masked
 * entries of the change and the edit's final in-scope Δ (the router's threshold material).
 * D, the mask and every step live on the model's device ({@link TrainedTensor}); D is read back
 * to the host once, at the end.
 *
 * <p>The edit rows are the prompt and its copies after the context prefixes of
 * {@code context_template_lengths} ({@link #contextTemplates}), as the reference's
 * {@code wise_main.py} (until 2026-12-08 Emend trained the bare prompt only and took Δ as the plain
 * ‖x·D‖). Deviations: the irrelevant rows are a fixed list of neutral sentences
 * ({@link #IRRELEVANT}), never the request's locality probes (those are for evaluation only), where
 * the reference uses one dataset prompt; SGD without the reference's 1e-5 weight decay, so the
 * change stays exactly on the mask; early stop once CE < 1e-2 and every margin term is zero.
 */
public final class WiseEditor {
    /** Neutral irrelevant inputs for the out-of-scope margins. */
    public static final List<String> IRRELEVANT = List.of(
            "The weather today is",
            "She walked to the market and bought",
            "The number after seven is",
            "The river flows through the city towards");

    /** The reference's prefix lengths ({@code wise_main.py}: {@code length_params=[[5, 5], [10, 5]]}). */
    public static final List<Integer> REFERENCE_TEMPLATE_LENGTHS = List.of(5, 10);
    /** The reference's start words ({@code wise/utils.py get_context_templates}). */
    private static final List<String> TEMPLATE_STARTS = List.of("I", "You", "Because", "Yes", "Q: ");
    private static final Map<String, List<String>> TEMPLATES = new ConcurrentHashMap<>();

    private final LanguageModel lm;

    public WiseEditor(LanguageModel lm) {
        this.lm = lm;
    }

    /**
     * "{}", then per length in {@code lengths} and per start word the unedited model's greedy
     * continuation of that many tokens, followed by " {}" (the reference: one beam, i.e. greedy, per
     * start word and length, decoded with the start word; cached per model and lengths, as there).
     * The reference generates the five starts as one right-padded batch; Emend runs each alone, which
     * is what greedy decoding of an unpadded prompt gives.
     */
    public List<String> contextTemplates(List<Integer> lengths) {
        return TEMPLATES.computeIfAbsent(lm.fingerprint() + "|" + lengths, k -> {
            List<String> out = new ArrayList<>();
            out.add("{}");
            for (int length : lengths) {
                for (String start : TEMPLATE_STARTS) {
                    int[] gen = lm.generateIds(lm.baseView(), lm.encodePrompt(start), GenerationOptions.greedy(length));
                    int keep = gen.length;
                    while (keep > 0 && lm.isEos(gen[keep - 1])) {
                        keep--;
                    }
                    String text = start + lm.tokenizer().decode(Arrays.copyOf(gen, keep));
                    out.add(text.replace("{", " ").replace("}", " ").replace("\n", " ") + " {}");
                }
            }
            return List.copyOf(out);
        });
    }

    /** Computes the payload of one edit on the space's memory at the layer (null = empty). */
    public byte[] compute(ModelView view, WiseMemory memory, Hparams hp, EditRequest request, double[] diagnostics) {
        ModuleRef site = InnerParams.module(hp.getStringList("inner_params"), lm.model());
        LinearRef wrapped = lm.model().linear(site.layer(), site.projection());
        int in = wrapped.inFeatures();
        int out = wrapped.outFeatures();
        int n = in * out;
        int done = memory == null ? 0 : memory.totalEdits();
        int saveFreq = hp.getInt("save_freq");
        long maskSeed = hp.getInt("seed") * 1_000_003L + done / saveFreq;
        double ratio = hp.getDouble("mask_ratio");
        boolean[] mask = WiseMemory.mask(maskSeed, ratio, n);
        float[] start = memory == null ? new float[n] : memory.currentDelta();
        float[] delta;
        List<Double> margin = hp.getDoubleList("act_margin");
        double alpha = margin.get(0);
        double beta = margin.get(1);
        double gamma = margin.get(2);
        double lr = hp.getDouble("edit_lr");
        String activation = distanceActivation(lm, hp);
        double clamp = hp.getDouble("norm_constraint");
        List<String[]> editRows = new ArrayList<>();
        for (String t : contextTemplates(hp.getIntList("context_template_lengths"))) {
            editRows.add(new String[] {t.replace("{}", request.prompt()), request.targetNew()});
        }
        TargetBatch batch = TargetBatch.of(lm, editRows, IRRELEVANT);
        int rows = batch.batch();
        int edits = batch.targetRows();
        int steps = 0;
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        double lastCe = Double.NaN;
        double lastAct = Double.NaN;
        float[] open = new float[n];
        for (int i = 0; i < n; i++) {
            open[i] = mask[i] ? 1f : 0f;
        }
        try (NDManager state = lm.manager().newSubManager();
                TrainedTensor side = TrainedTensor.of(state, start, new Shape(in, out))) {
            NDArray openArr = state.create(open, new Shape(in, out));
            NDScope.unregister(openArr);
            try (GradientSession g = GradientSession.open()) {
                for (int it = 0; it < hp.getInt("n_iter"); it++) {
                    try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                        NDArray leaf = side.leaf();
                        NDArray[] act = new NDArray[1];
                        NDArray tokenMask = batch.tokenMask(m);
                        NDArray counts = tokenMask.sum(new int[] {1});
                        LayerHook hook = sideHook(site, activation, leaf, tokenMask, counts, act);
                        NDArray logits = lm.model().forward(m, view.weights(), batch.input(), view.hooks().with(hook), null)
                                .logits();
                        NDArray ce = batch.targetLoss(m, logits);
                        NDArray inScope = act[0].get("0:" + edits);
                        NDArray outScope = act[0].get(edits + ":" + rows);
                        NDArray l1 = outScope.reshape(-1, 1).sub(inScope.reshape(1, -1)).add((float) gamma);
                        NDArray l2 = outScope.sub((float) alpha);
                        NDArray l3 = inScope.neg().add((float) beta);
                        NDArray actLoss = positiveMean(l1).add(positiveMean(l2)).add(positiveMean(l3));
                        NDArray loss = ce.add(actLoss);
                        double lv = loss.getFloat();
                        double cev = ce.getFloat();
                        double av = actLoss.getFloat();
                        if (!Double.isFinite(lv)) {
                            throw new IllegalStateException("WISE training diverged (loss " + lv + "); lower edit_lr");
                        }
                        if (it == 0) {
                            firstLoss = lv;
                        }
                        lastLoss = lv;
                        lastCe = cev;
                        lastAct = av;
                        if (cev < 1e-2 && av == 0) {
                            break;
                        }
                        g.zeroGradients();
                        g.backward(loss);
                        // masked SGD, then the clamp of the entries the mask opens, on the device
                        side.sgdStep(leaf.getGradient(), lr, openArr);
                        side.clip(-clamp, clamp, openArr);
                    }
                    steps++;
                }
            }
            delta = side.toFloatArray();
        }
        double editAct = inScopeAct(view, site, new Shape(in, out), activation, delta, batch, edits);
        int count = 0;
        for (boolean b : mask) {
            count += b ? 1 : 0;
        }
        float[] values = new float[count];
        int j = 0;
        for (int i = 0; i < n; i++) {
            if (mask[i]) {
                values[j++] = delta[i] - start[i];
            }
        }
        if (diagnostics != null) {
            diagnostics[0] = steps;
            diagnostics[1] = firstLoss;
            diagnostics[2] = lastLoss;
            diagnostics[3] = editAct;
            diagnostics[4] = lastCe;
            diagnostics[5] = lastAct;
        }
        return InnerParams.put(new TensorPack().put("method", "WISE"), site).put("mask_seed", maskSeed).put("mask_ratio", ratio)
                .put("edit_act", editAct).tensor("delta", values, values.length).toBytes();
    }

    /** mean over the positive entries (0 when none), as the reference's margin terms. */
    private static NDArray positiveMean(NDArray x) {
        NDArray pos = x.gt(0f).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
        NDArray count = pos.sum().maximum(1f);
        return x.mul(pos).sum().div(count);
    }

    /**
     * The activation Δ compares the layer's outputs after: the model's MLP activation when
     * {@code activation_distance} is on (the reference's {@code euc} applies {@code ACT2FN[hidden_act]}
     * to both outputs), else null.
     */
    public static String distanceActivation(LanguageModel lm, Hparams hp) {
        return hp.getBool("activation_distance") ? lm.model().hiddenActivation() : null;
    }

    /** Per position, what Δ takes the norm of: act(out + side) − act(out), or side when {@code activation} is null. */
    static NDArray distance(String activation, NDArray out, NDArray side) {
        return activation == null ? side : Activations.apply(activation, out.add(side)).sub(Activations.apply(activation, out));
    }

    /** Training hook: every row runs out + x·D; records Δ per row (mean over real tokens). */
    private static LayerHook sideHook(ModuleRef site, String activation, NDArray leaf, NDArray tokenMask, NDArray counts,
                                      NDArray[] act) {
        return new LayerHook() {
            @Override
            public NDArray projection(int l, Projection p, NDArray in, NDArray out, HookContext ctx) {
                if (l != site.layer() || p != site.projection()) {
                    return out;
                }
                NDArray side = in.matMul(leaf);
                // sqrt(x²+tiny) keeps the gradient finite where a row's side output is exactly zero
                NDArray norms = distance(activation, out, side).square().sum(new int[] {2}).add(1e-12f).sqrt();
                act[0] = norms.mul(tokenMask).sum(new int[] {1}).div(counts);
                return out.add(side);
            }
        };
    }

    /** Mean Δ of the edit rows with the final delta (no gradient). */
    private double inScopeAct(ModelView view, ModuleRef site, Shape shape, String activation, float[] delta, TargetBatch batch,
                              int edits) {
        try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray dArr = m.create(delta, shape);
            NDArray[] act = new NDArray[1];
            NDArray tokenMask = batch.tokenMask(m);
            lm.model().forward(m, view.weights(), batch.input(),
                    view.hooks().with(sideHook(site, activation, dArr, tokenMask, tokenMask.sum(new int[] {1}), act)), null);
            float[] a = act[0].toFloatArray();
            double s = 0;
            for (int i = 0; i < edits; i++) {
                s += a[i];
            }
            return s / edits;
        }
    }

    /** Applies a WISE payload to the memory (hparams: the unit's). */
    public static void apply(WiseMemory memory, TensorPack pack, Hparams hp) {
        memory.applyEdit(pack.getLong("mask_seed"), pack.getDouble("mask_ratio"), pack.tensor("delta").values(),
                pack.getDouble("edit_act"), hp.getInt("save_freq"), hp.getInt("merge_freq"), hp.getDouble("densities"),
                hp.getDouble("weights"));
    }

    static List<String> irrelevant() {
        return new ArrayList<>(IRRELEVANT);
    }
}
