package dev.emend.mastery.mend;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.memit.MemitUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * MEND's edit (Mitchell et al. 2022, as EasyEdit's {@code MEND.edit} runs it):
 * <ol>
 *   <li>Teacher-forced forward of prompt + target on the current weights, capturing each edited
 *       matrix's input u_t; backward of the edit NLL (mean over the target tokens of the batch) gives
 *       δ_t = ∂L/∂(W u_t) per token (the fine-tuning gradient of W is Σ_t δ_t u_tᵀ). Tokens where u or δ
 *       is all zero (padding, positions after the last target) are dropped, as EasyEdit does.</li>
 *   <li>The trained {@link MendNetwork} maps (u_t, δ_t) to (ũ_t, δ̃_t).</li>
 *   <li>ΔW = −lr_scale · α_W · Σ_t δ̃_t ũ_tᵀ, α_W the matrix's learned edit learning rate.</li>
 * </ol>
 * The update is rank ≤ T per matrix and stored as A·B factors ({@link MemitUpdate}, method "MEND":
 * A = −lr_scale·α_W·[δ̃_t] (out × T), B = [ũ_tᵀ] (T × in)), which the overlay applies and the ledger replays.
 *
 * <p>Deviation from EasyEdit: EasyEdit adds +α_W·Σ δ̃ ũᵀ and lets training find the sign of α_W
 * (EasyEdit's code has no {@code descent} switch); here the update descends, so the identity-initialised
 * editor starts as a (normalised) gradient step and short trainings on a CPU start from a useful
 * editor. A trained editor from either convention differs only in the sign of α_W.
 */
public final class MendEditor {
    private final LanguageModel lm;
    private final MendNetwork net;

    public MendEditor(LanguageModel lm, MendNetwork net) {
        this.lm = lm;
        this.net = net;
    }

    /** Teacher-forced prompt + target rows: ids, mask, the label of each position and its weight (1/tokens). */
    public record Batch(ForwardInput input, long[] labels, float[] weights, int tokens) {
        int batch() {
            return input.batchSize();
        }

        int len() {
            return input.length();
        }
    }

    /** One (prompt, target) per row; the NLL averages over all target tokens of the batch (EasyEdit's masked mean). */
    public Batch batch(List<String[]> promptTargets) {
        List<int[]> rows = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        int tokens = 0;
        for (String[] pt : promptTargets) {
            int[][] pair = lm.tokenizePair(pt[0], pt[1].strip());
            int[] row = Arrays.copyOf(pair[0], pair[0].length + pair[1].length - 1);
            System.arraycopy(pair[1], 0, row, pair[0].length, pair[1].length - 1);
            rows.add(row);
            targets.add(pair[1]);
            tokens += pair[1].length;
        }
        int b = rows.size();
        int len = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
        long[][] ids = new long[b][len];
        int[][] mask = new int[b][len];
        long[] labels = new long[b * len];
        float[] weights = new float[b * len];
        for (int i = 0; i < b; i++) {
            int[] row = rows.get(i);
            int[] t = targets.get(i);
            int promptLen = row.length - (t.length - 1);
            for (int j = 0; j < row.length; j++) {
                ids[i][j] = row[j];
                mask[i][j] = 1;
            }
            for (int j = 0; j < t.length; j++) {
                labels[i * len + promptLen - 1 + j] = t[j];
                weights[i * len + promptLen - 1 + j] = 1f / tokens;
            }
        }
        return new Batch(new ForwardInput(ids, mask), labels, weights, tokens);
    }

    /** Whole sequences (locality prompts with their answers) as one right-padded batch. */
    public ForwardInput sequences(List<String> texts) {
        List<int[]> rows = texts.stream().map(lm::encodePrompt).toList();
        int len = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
        long[][] ids = new long[rows.size()][len];
        int[][] mask = new int[rows.size()][len];
        for (int i = 0; i < rows.size(); i++) {
            for (int j = 0; j < rows.get(i).length; j++) {
                ids[i][j] = rows.get(i)[j];
                mask[i][j] = 1;
            }
        }
        return new ForwardInput(ids, mask);
    }

    /** The NLL of the batch's targets (differentiable). */
    public static NDArray nll(NDManager m, ForwardResult r, Batch b) {
        NDArray logp = r.logits().toType(DataType.FLOAT32, false).logSoftmax(-1);
        NDArray gathered = logp.gather(m.create(b.labels(), new Shape(b.batch(), b.len(), 1)), 2).reshape(b.batch(), b.len());
        return gathered.mul(m.create(b.weights(), new Shape(b.batch(), b.len()))).sum().neg();
    }

    /** Token accuracy of the batch's targets: the share of target tokens that are the argmax (EasyEdit's edit/acc). */
    public static double accuracy(ForwardResult r, Batch b) {
        long[] argmax = r.logits().argMax(-1).toType(DataType.INT64, false).toLongArray();
        double right = 0;
        for (int k = 0; k < argmax.length; k++) {
            if (b.weights()[k] > 0 && argmax[k] == b.labels()[k]) {
                right++;
            }
        }
        return right / b.tokens();
    }

    /** Per target: the kept tokens' inputs u [T, in] and output gradients δ [T, out], row-major. */
    public record Factors(float[][] u, float[][] delta, int[] tokens, double nll) {}

    /** Step 1 of the edit on {@code view}; the caller holds a {@link GradientSession}. */
    public Factors factors(ModelView view, Batch b, GradientSession g) {
        List<MendNetwork.Target> targets = net.targets();
        int n = targets.size();
        NDArray[] inputs = new NDArray[n];
        NDArray[] probes = new NDArray[n];
        try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            LayerHook capture = new LayerHook() {
                @Override
                public NDArray projection(int layer, Projection p, NDArray input, NDArray output, HookContext ctx) {
                    int i = index(layer, p);
                    if (i < 0) {
                        return output;
                    }
                    inputs[i] = input;
                    NDArray z = m.zeros(output.getShape(), output.getDataType());
                    z.setRequiresGradient(true);
                    probes[i] = z;
                    return output.add(z);
                }
            };
            ForwardResult r = lm.model().forward(m, view.weights(), b.input(), view.hooks().with(Hooks.of(capture)), null);
            NDArray loss = nll(m, r, b);
            double value = loss.getFloat();
            g.zeroGradients();
            g.backward(loss);
            float[][] us = new float[n][];
            float[][] ds = new float[n][];
            int[] kept = new int[n];
            int[] mask = flatMask(b.input());
            for (int i = 0; i < n; i++) {
                MendNetwork.Target t = targets.get(i);
                if (inputs[i] == null) {
                    throw new IllegalStateException("the forward pass never ran " + t.projection() + " of layer " + t.layer());
                }
                float[] u = inputs[i].toType(DataType.FLOAT32, false).toFloatArray();
                float[] d = probes[i].getGradient().toType(DataType.FLOAT32, false).toFloatArray();
                float[] ku = new float[u.length];
                float[] kd = new float[d.length];
                int k = 0;
                for (int pos = 0; pos < mask.length; pos++) {
                    if (mask[pos] == 0 || allZero(u, pos * t.in(), t.in()) || allZero(d, pos * t.out(), t.out())) {
                        continue;
                    }
                    System.arraycopy(u, pos * t.in(), ku, k * t.in(), t.in());
                    System.arraycopy(d, pos * t.out(), kd, k * t.out(), t.out());
                    k++;
                }
                us[i] = Arrays.copyOf(ku, k * t.in());
                ds[i] = Arrays.copyOf(kd, k * t.out());
                kept[i] = k;
            }
            return new Factors(us, ds, kept, value);
        }
    }

    private int index(int layer, Projection p) {
        List<MendNetwork.Target> ts = net.targets();
        for (int i = 0; i < ts.size(); i++) {
            if (ts.get(i).layer() == layer && ts.get(i).projection() == p) {
                return i;
            }
        }
        return -1;
    }

    private static int[] flatMask(ForwardInput in) {
        int[] out = new int[in.batchSize() * in.length()];
        for (int b = 0; b < in.batchSize(); b++) {
            System.arraycopy(in.mask()[b], 0, out, b * in.length(), in.length());
        }
        return out;
    }

    private static boolean allZero(float[] a, int off, int n) {
        for (int i = off; i < off + n; i++) {
            if (a[i] != 0f) {
                return false;
            }
        }
        return true;
    }

    /** Step 2: (ũ, δ̃) per target as arrays of {@code m}, differentiable in {@code params}. */
    NDArray[][] transform(NDManager m, Map<String, NDArray> params, Factors f) {
        List<MendNetwork.Target> targets = net.targets();
        NDArray[][] out = new NDArray[targets.size()][];
        for (int i = 0; i < targets.size(); i++) {
            MendNetwork.Target t = targets.get(i);
            int k = f.tokens()[i];
            if (k == 0) {
                continue;
            }
            NDArray u = m.create(f.u()[i], new Shape(k, t.in()));
            NDArray d = m.create(f.delta()[i], new Shape(k, t.out()));
            out[i] = net.transform(m, params, t, u, d);
        }
        return out;
    }

    /**
     * Hooks that run the edited model without writing weights: each edited projection's output y
     * becomes y − scale·α_W·(x Ũᵀ) D̃, which equals x (W + ΔW) for the update above; differentiable in
     * the transformed factors and {@code lrs}.
     */
    static Hooks edited(List<MendNetwork.Target> targets, NDArray[][] factors, NDArray lrs, float scale) {
        return Hooks.of(new LayerHook() {
            @Override
            public NDArray projection(int layer, Projection p, NDArray input, NDArray output, HookContext ctx) {
                for (int i = 0; i < targets.size(); i++) {
                    MendNetwork.Target t = targets.get(i);
                    if (t.layer() == layer && t.projection() == p && factors[i] != null) {
                        NDArray x = input.toType(DataType.FLOAT32, false);
                        NDArray shift = x.matMul(factors[i][0].transpose()).matMul(factors[i][1])
                                .mul(lrs.get(i).mul(-scale));
                        return output.add(shift.toType(output.getDataType(), false));
                    }
                }
                return output;
            }
        });
    }

    /** What an edit computed: the update and the edit NLL before it. */
    public record Result(MemitUpdate update, double nllBefore, int tokens) {}

    /** The edit of {@code requests} (prompt, target pairs) on {@code view}, with the update scaled by {@code lrScale}. */
    public Result edit(ModelView view, List<String[]> requests, double lrScale) {
        if (!net.normalisable()) {
            throw new IllegalStateException("the MEND editor has seen fewer than 2 training tokens per network; train it");
        }
        Batch b = batch(requests);
        Factors f;
        try (GradientSession g = GradientSession.open()) {
            f = factors(view, b, g);
        }
        List<MendNetwork.Target> targets = net.targets();
        float[] lrs = net.editLrs();
        List<MemitUpdate.LayerDelta> deltas = new ArrayList<>();
        double sq = 0;
        try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            NDArray[][] tf = transform(m, net.arrays(m, false), f);
            for (int i = 0; i < targets.size(); i++) {
                MendNetwork.Target t = targets.get(i);
                int k = f.tokens()[i];
                if (k == 0) {
                    continue;
                }
                // A = −scale·α·D̃ᵀ (out × k), B = Ũ (k × in).
                NDArray a = tf[i][1].transpose().mul((float) (-lrScale * lrs[i]));
                float[] af = a.toFloatArray();
                float[] bf = tf[i][0].toFloatArray();
                NDArray full = a.matMul(tf[i][0]);
                sq += full.pow(2).sum().getFloat();
                deltas.add(new MemitUpdate.LayerDelta(t.layer(), t.ref().weight(), t.ref().layout(), k, t.out(), t.in(), af, bf));
            }
        }
        MemitUpdate u = new MemitUpdate("MEND", deltas, new double[] {Math.sqrt(sq)}, new double[] {0},
                new int[] {0}, new double[] {Double.NaN});
        return new Result(u, f.nll(), b.tokens());
    }
}
