package dev.emend.mastery.mend;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.Projection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * MEND's editor network (EasyEdit's {@code GradientTransform} with {@code combine: true} and
 * {@code mlp_class: IDMLP}) for every edited matrix, and the learned per-matrix edit learning rates.
 *
 * <p>Per edited matrix W (math orientation: out × in) the fine-tuning gradient is Σ_t δ_t u_tᵀ, u_t
 * the input of the matrix at token t and δ_t the gradient of the loss with respect to its output.
 * The editor maps each pair to (ũ_t, δ̃_t):
 * <pre>
 *   x_t = [ (u_t − μ_u) / (σ_u + 1e-7) , (δ_t − μ_δ) / (σ_δ + 1e-7) ]          (norm: true; D = in + out)
 *   h ← h + max(0, s_m ⊙ (U_i V_i h + b_i) + c_m)    for i = 0..n_hidden        (IDMLP: LRLinear + identity)
 *   [ũ_t, δ̃_t] = h
 * </pre>
 * U_i (D × r) starts at 0 and V_i (r × D) at N(0, 1) ({@code init: id}, so the editor starts as the
 * identity on normalised inputs), r = min(rank, D); s_m, c_m are the scale and shift of the matrix's
 * mode m (its index among the matrices of the same shape) when {@code shared: true} (one network per
 * shape), absent otherwise (one network per matrix). μ and σ are running means and standard deviations
 * over every token seen in training (Welford, as EasyEdit's {@code update_counter}); edits use them as
 * they are. EasyEdit's LRLinear clamps at 0 in every layer, including the last (its {@code relu} flag
 * is unused); so does this one ({@code clip(0, ∞)}: the gradient at exactly 0 passes, which
 * the zero-initialised U needs).
 *
 * <p>Parameters are host float arrays, named as in the editor file ({@link MendEditorFile}); the
 * trainer builds fresh gradient leaves from them for each step and updates them with Adam.
 */
public final class MendNetwork {
    /** One edited matrix: where it is, which network edits it and its mode in that network. */
    public record Target(int layer, Projection projection, LinearRef ref, int group, int mode) {
        public int in() {
            return ref.inFeatures();
        }

        public int out() {
            return ref.outFeatures();
        }
    }

    /** Running mean and sum of squared deviations of u and δ over training tokens (float64). */
    static final class Stats {
        final double[] uMean;
        final double[] uS;
        final double[] vMean;
        final double[] vS;
        long k;

        Stats(int in, int out) {
            uMean = new double[in];
            uS = new double[in];
            vMean = new double[out];
            vS = new double[out];
        }

        void add(float[] u, int uOff, float[] v, int vOff) {
            k++;
            welford(uMean, uS, u, uOff, k);
            welford(vMean, vS, v, vOff, k);
        }

        private static void welford(double[] mean, double[] s, float[] x, int off, long k) {
            for (int i = 0; i < mean.length; i++) {
                double xi = x[off + i];
                if (k == 1) {
                    mean[i] = xi;
                    s[i] = 0;
                } else {
                    double m = mean[i] + (xi - mean[i]) / k;
                    s[i] += (xi - mean[i]) * (xi - m);
                    mean[i] = m;
                }
            }
        }

        float[] std(boolean ofU) {
            double[] s = ofU ? uS : vS;
            float[] out = new float[s.length];
            for (int i = 0; i < s.length; i++) {
                out[i] = (float) Math.sqrt(s[i] / (k - 1));
            }
            return out;
        }
    }

    private final MendHyperParams hp;
    private final List<Target> targets;
    /** Per network: in and out dims, number of modes (0 when not shared). */
    private final int[][] groupDims;
    private final Stats[] stats;
    private final Map<String, float[]> params = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();
    private long steps;

    private MendNetwork(MendHyperParams hp, List<Target> targets, int[][] groupDims) {
        this.hp = hp;
        this.targets = List.copyOf(targets);
        this.groupDims = groupDims;
        this.stats = new Stats[groupDims.length];
        for (int g = 0; g < groupDims.length; g++) {
            stats[g] = new Stats(groupDims[g][0], groupDims[g][1]);
        }
    }

    /** The targets of {@code hp} on {@code model}, in EasyEdit's inner_params order (layer, then projection). */
    static MendNetwork layout(DecoderModel model, MendHyperParams hp) {
        List<Target> targets = new ArrayList<>();
        List<int[]> groups = new ArrayList<>();
        Map<String, Integer> byShape = new LinkedHashMap<>();
        Map<Integer, Integer> modes = new LinkedHashMap<>();
        for (int layer : hp.layers()) {
            for (Projection p : hp.projections()) {
                LinearRef ref = model.linear(layer, p);
                String key = hp.shared() ? ref.inFeatures() + "x" + ref.outFeatures() : layer + "/" + p;
                Integer g = byShape.get(key);
                if (g == null) {
                    g = groups.size();
                    byShape.put(key, g);
                    groups.add(new int[] {ref.inFeatures(), ref.outFeatures(), 0});
                }
                int mode = modes.merge(g, 1, Integer::sum) - 1;
                targets.add(new Target(layer, p, ref, g, mode));
            }
        }
        if (hp.shared()) {
            for (Map.Entry<Integer, Integer> e : modes.entrySet()) {
                groups.get(e.getKey())[2] = e.getValue();
            }
        }
        return new MendNetwork(hp, targets, groups.toArray(new int[0][]));
    }

    /** A fresh editor: identity (or Xavier) initialisation from {@code hp.seed()}, edit_lrs = edit_lr. */
    public static MendNetwork initial(DecoderModel model, MendHyperParams hp) {
        MendNetwork n = layout(model, hp);
        SplittableRandom rnd = new SplittableRandom(hp.seed());
        for (int g = 0; g < n.groupDims.length; g++) {
            int d = n.groupDims[g][0] + n.groupDims[g][1];
            int mid = Math.min(hp.rank(), d);
            int modes = n.groupDims[g][2];
            for (int i = 0; i <= hp.nHidden(); i++) {
                String p = prefix(g, i);
                float[] u = new float[d * mid];
                float[] v = new float[mid * d];
                if (hp.init().equals("id")) {
                    for (int k = 0; k < v.length; k++) {
                        v[k] = (float) gaussian(rnd);
                    }
                } else {
                    xavier(u, mid, d, Math.sqrt(2), rnd);
                    xavier(v, d, mid, 1, rnd);
                }
                n.put(p + "u", u, d, mid);
                n.put(p + "v", v, mid, d);
                n.put(p + "bias", new float[d], d);
                if (modes > 0) {
                    float[] scale = new float[modes * d];
                    java.util.Arrays.fill(scale, 1f);
                    n.put(p + "mode_scale", scale, modes, d);
                    n.put(p + "mode_shift", new float[modes * d], modes, d);
                }
            }
        }
        float[] lrs = new float[n.targets.size()];
        java.util.Arrays.fill(lrs, (float) hp.editLr());
        n.put("edit_lrs", lrs, lrs.length);
        return n;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** PyTorch's xavier_uniform_ on a [rows, cols] matrix: U(−b, b), b = gain·√(6 / (rows + cols)). */
    private static void xavier(float[] w, int fanIn, int fanOut, double gain, SplittableRandom rnd) {
        double b = gain * Math.sqrt(6.0 / (fanIn + fanOut));
        for (int k = 0; k < w.length; k++) {
            w[k] = (float) ((rnd.nextDouble() * 2 - 1) * b);
        }
    }

    static String prefix(int group, int layer) {
        return "g" + group + ".mlp." + layer + ".";
    }

    void put(String name, float[] values, long... shape) {
        params.put(name, values);
        shapes.put(name, shape);
    }

    public MendHyperParams hyperParams() {
        return hp;
    }

    public List<Target> targets() {
        return targets;
    }

    int groups() {
        return groupDims.length;
    }

    int[] groupDims(int g) {
        return groupDims[g];
    }

    Stats stats(int g) {
        return stats[g];
    }

    /** Training steps taken so far (stored in the file; a resumed training continues from here). */
    public long steps() {
        return steps;
    }

    void steps(long s) {
        steps = s;
    }

    /** Parameter names, in file order. */
    Map<String, float[]> params() {
        return params;
    }

    long[] shape(String name) {
        return shapes.get(name);
    }

    /** The learned edit learning rate of each target. */
    public float[] editLrs() {
        return params.get("edit_lrs").clone();
    }

    /** Number of trainable values. */
    public long size() {
        return params.values().stream().mapToLong(a -> a.length).sum();
    }

    /** Adds the tokens' (u, δ) rows of target {@code t} to its network's running statistics. */
    void observe(Target t, float[] u, float[] delta, int tokens) {
        Stats s = stats[t.group()];
        for (int i = 0; i < tokens; i++) {
            s.add(u, i * t.in(), delta, i * t.out());
        }
    }

    /** Whether the statistics are defined (EasyEdit refuses to normalise with fewer than 2 samples). */
    boolean normalisable() {
        for (Stats s : stats) {
            if (s.k < 2) {
                return false;
            }
        }
        return true;
    }

    /** The parameters as arrays of {@code m}; with {@code grad} each is a fresh gradient leaf. */
    Map<String, NDArray> arrays(NDManager m, boolean grad) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            NDArray a = m.create(e.getValue(), new Shape(shapes.get(e.getKey())));
            if (grad) {
                a.setRequiresGradient(true);
            }
            out.put(e.getKey(), a);
        }
        return out;
    }

    /**
     * (ũ, δ̃) of target {@code t} for u [T, in] and δ [T, out] (float32 arrays of {@code m}), with the
     * parameters {@code p} (from {@link #arrays}); differentiable in {@code p}.
     */
    NDArray[] transform(NDManager m, Map<String, NDArray> p, Target t, NDArray u, NDArray delta) {
        int g = t.group();
        NDArray x;
        if (hp.norm()) {
            Stats s = stats[g];
            NDArray un = u.sub(m.create(toFloat(s.uMean))).div(m.create(s.std(true)).add(1e-7f));
            NDArray vn = delta.sub(m.create(toFloat(s.vMean))).div(m.create(s.std(false)).add(1e-7f));
            x = un.concat(vn, 1);
        } else {
            x = u.concat(delta, 1);
        }
        boolean modes = groupDims[g][2] > 0;
        for (int i = 0; i <= hp.nHidden(); i++) {
            String pre = prefix(g, i);
            NDArray h = x.matMul(p.get(pre + "v").transpose()).matMul(p.get(pre + "u").transpose()).add(p.get(pre + "bias"));
            if (modes) {
                h = h.mul(p.get(pre + "mode_scale").get(t.mode())).add(p.get(pre + "mode_shift").get(t.mode()));
            }
            NDArray act = h.clip(0f, Float.MAX_VALUE);
            x = hp.init().equals("id") ? act.add(x) : act;
        }
        ai.djl.ndarray.NDList split = x.split(new long[] {t.in()}, 1);
        return new NDArray[] {split.get(0), split.get(1)};
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
