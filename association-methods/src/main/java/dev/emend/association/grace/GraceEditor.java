package dev.emend.association.grace;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.emend.association.engine.InnerParams;
import dev.emend.association.engine.TargetBatch;
import dev.emend.association.engine.TensorPack;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.edit.Hparams;
import dev.emend.core.grad.Adam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.ModuleRef;
import dev.emend.core.model.Projection;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Computes one GRACE edit against a space: the key (input of the projection {@code inner_params} names, a
 * layer's MLP down- or up-projection, at the prompt's last token), the codebook decision of the reference
 * (no key within ε_init + ε_j → new entry; nearest key with another label → new entry and both
 * radii split to d/2; same label outside ε_j → expand ε_j to d, {@code coverage}, or also move
 * the key halfway, {@code moving_average}; same label inside → retrain that value), then the
 * value trained with Adam ({@code edit_lr}, at most {@code n_iter} steps) so that replacing the
 * projection's output makes the model produce the target (teacher-forced cross-entropy over
 * the target tokens). The state is never changed: the result is a payload for
 * {@link GraceCodebook} updates (see {@link #apply}).
 *
 * <p>Deviations: training stops early once the loss is below 1e-2 (the reference always runs
 * n_iter steps); labels are compared as token-id sequences (the reference compares the mean of
 * the label tensor); {@code dist_fn} offers {@code euc} and {@code cos} — {@code mmd} between
 * single vectors reduces to a monotone function of the Euclidean distance, so it is not offered.
 */
public final class GraceEditor {
    static final double STOP_LOSS = 1e-2;

    private final LanguageModel lm;

    public GraceEditor(LanguageModel lm) {
        this.lm = lm;
    }

    /** Key and the layer's current output at the prompt's last token. */
    record Probe(float[] key, float[] output) {}

    Probe probe(ModelView view, TargetBatch batch, ModuleRef site) {
        int p = batch.lastPrompt(0);
        float[][] got = new float[2][];
        LayerHook capture = new LayerHook() {
            @Override
            public NDArray projection(int l, Projection pr, NDArray in, NDArray out, HookContext ctx) {
                if (l == site.layer() && pr == site.projection()) {
                    got[0] = in.get(new NDIndex(0, p)).toFloatArray();
                    got[1] = out.get(new NDIndex(0, p)).toFloatArray();
                }
                return out;
            }
        };
        try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            lm.model().forward(m, view.weights(), batch.input(), view.hooks().with(capture), null);
        }
        return new Probe(got[0], got[1]);
    }

    /** Computes the payload of one edit. {@code codebook} is the space's codebook at the layer, or null. */
    public byte[] compute(ModelView view, GraceCodebook codebook, Hparams hp, EditRequest request, double[] diagnostics) {
        ModuleRef site = InnerParams.module(hp.getStringList("inner_params"), lm.model());
        String distFn = hp.getString("dist_fn");
        String replacement = hp.getString("replacement");
        if (codebook != null && (!codebook.distFn().equals(distFn) || !codebook.replacement().equals(replacement))) {
            throw EditException.precondition("hparams.dist_fn", "this space's GRACE codebook at layer " + site.layer() + " uses dist_fn "
                    + codebook.distFn() + " and replacement " + codebook.replacement() + "; edit with the same values");
        }
        double epsInit = hp.getDouble("eps");
        TargetBatch batch = TargetBatch.of(lm, List.<String[]>of(new String[] {request.prompt(), request.targetNew()}), List.of());
        int[] label = batch.targetIds(0);
        Probe probe = probe(view, batch, site);
        float[] query = probe.key();

        // --- codebook decision (reference: GRACEAdapter.forward at iter 0) ---
        String op = "new";
        int target = -1;
        double targetEps = Double.NaN;
        float[] targetKey = null;
        double newEps = epsInit;
        float[] init;
        if ("warm".equals(hp.getString("val_init"))) {
            init = probe.output().clone();
        } else {
            // torch.rand: U[0, 1), seeded from the request so recomputation gives the same start
            Random rnd = new Random(31L * request.prompt().hashCode() + request.targetNew().hashCode());
            init = new float[probe.output().length];
            for (int i = 0; i < init.length; i++) {
                init[i] = rnd.nextFloat();
            }
        }
        double nearestD = Double.NaN;
        if (codebook != null && codebook.size() > 0) {
            GraceCodebook.Nearest n = codebook.nearest(query);
            nearestD = n.distance();
            GraceCodebook.Entry e = codebook.entries().get(n.index());
            if (n.distance() > epsInit + e.eps()) {
                op = "new";
            } else if (!Arrays.equals(e.label(), label)) {
                op = "split";
                target = n.index();
                targetEps = n.distance() / 2 - 1e-5;
                newEps = n.distance() / 2;
            } else {
                target = n.index();
                init = e.value();
                if (n.distance() > e.eps()) {
                    op = "expand";
                    targetEps = n.distance();
                    if ("moving_average".equals(hp.getString("eps_expand"))) {
                        float[] k = e.key();
                        targetKey = new float[k.length];
                        for (int i = 0; i < k.length; i++) {
                            targetKey[i] = 0.5f * k[i] + 0.5f * query[i];
                        }
                    }
                } else {
                    op = "inside";
                }
            }
        }

        // --- value training ---
        int p = batch.lastPrompt(0);
        float[] value = init.clone();
        Adam adam = new Adam(value.length, hp.getDouble("edit_lr"));
        int steps = 0;
        double first = Double.NaN;
        double last = Double.NaN;
        int t = batch.length();
        float[] posMask = new float[t];
        switch (replacement) {
            case "replace_all" -> Arrays.fill(posMask, 1f);
            case "replace_prompt" -> Arrays.fill(posMask, 0, p, 1f);
            default -> posMask[p] = 1f;
        }
        int nIter = hp.getInt("n_iter");
        try (GradientSession g = GradientSession.open()) {
            for (int it = 0; it < nIter; it++) {
                float[] grad;
                try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                    NDArray leaf = m.create(value, new Shape(1, 1, value.length));
                    leaf.setRequiresGradient(true);
                    NDArray mask = m.create(posMask, new Shape(1, t, 1));
                    LayerHook train = new LayerHook() {
                        @Override
                        public NDArray projection(int l, Projection pr, NDArray in, NDArray out, HookContext ctx) {
                            if (l != site.layer() || pr != site.projection()) {
                                return out;
                            }
                            return mask.mul(leaf).add(out.mul(mask.neg().add(1f)));
                        }
                    };
                    Hooks hooks = view.hooks().with(train);
                    NDArray logits = lm.model().forward(m, view.weights(), batch.input(), hooks, null).logits();
                    NDArray loss = batch.targetLoss(m, logits);
                    double lv = loss.getFloat();
                    if (!Double.isFinite(lv)) {
                        throw new IllegalStateException("GRACE value training diverged (loss " + lv + "); lower edit_lr");
                    }
                    if (it == 0) {
                        first = lv;
                    }
                    last = lv;
                    if (lv < STOP_LOSS) {
                        break;
                    }
                    g.zeroGradients();
                    g.backward(loss);
                    grad = leaf.getGradient().toFloatArray();
                }
                adam.step(value, grad);
                steps++;
            }
        }
        if (diagnostics != null) {
            diagnostics[0] = steps;
            diagnostics[1] = first;
            diagnostics[2] = last;
            diagnostics[3] = nearestD;
        }
        TensorPack pack = InnerParams.put(new TensorPack().put("method", "GRACE"), site).put("dist_fn", distFn)
                .put("replacement", replacement).put("op", op).put("eps", newEps)
                .tensor("key", query, query.length).tensor("value", value, value.length)
                .tensor("label", toFloats(label), label.length);
        if (target >= 0) {
            pack.put("target", codebook.entries().get(target).editId());
            if (!Double.isNaN(targetEps)) {
                pack.put("target_eps", targetEps);
            }
            if (targetKey != null) {
                pack.tensor("target_key", targetKey, targetKey.length);
            }
        }
        return pack.toBytes();
    }

    private static float[] toFloats(int[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = a[i];
        }
        return f;
    }

    /**
     * Applies a GRACE payload to the codebook as edit {@code editId}. Deterministic: when the entry
     * an expand/inside/split payload refers to is gone (rolled back), the edit becomes a new entry
     * of its own with the initial radius, so replaying the remaining ledger is always defined.
     */
    public static void apply(GraceCodebook codebook, TensorPack pack, String editId, double epsInit) {
        String op = pack.get("op");
        float[] key = pack.tensor("key").values();
        float[] value = pack.tensor("value").values();
        float[] lf = pack.tensor("label").values();
        int[] label = new int[lf.length];
        for (int i = 0; i < lf.length; i++) {
            label[i] = Math.round(lf[i]);
        }
        int target = pack.metadata().containsKey("target") ? codebook.indexOf(pack.get("target")) : -1;
        switch (op) {
            case "new" -> codebook.add(editId, key, value, pack.getDouble("eps"), label);
            case "split" -> {
                if (target >= 0) {
                    codebook.setEps(target, pack.getDouble("target_eps"));
                    codebook.add(editId, key, value, pack.getDouble("eps"), label);
                } else {
                    codebook.add(editId, key, value, epsInit, label);
                }
            }
            case "expand", "inside" -> {
                if (target >= 0) {
                    if (pack.metadata().containsKey("target_eps")) {
                        codebook.setEps(target, pack.getDouble("target_eps"));
                    }
                    if (pack.hasTensor("target_key")) {
                        codebook.setKey(target, pack.tensor("target_key").values());
                    }
                    codebook.setValue(target, value);
                } else {
                    codebook.add(editId, key, value, epsInit, label);
                }
            }
            default -> throw new IllegalArgumentException("unknown GRACE payload op '" + op + "'");
        }
    }
}
