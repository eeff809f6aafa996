package dev.emend.mastery.memit;


import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.edit.Progress;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.model.WeightLayout;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.rome.RomeEditor;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.linalg.Cholesky;
import dev.emend.mastery.stats.SecondMoment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Mass-Editing Memory in a Transformer (Meng et al., 2023): a batch of facts written into the MLP
 * down-projections of several layers.
 *
 * <ol>
 *   <li>z-step, per request: δ added to the residual output of the last edited layer L at the
 *       lookup position, optimised with ROME's loss and loop, all requests together as rows of
 *       one batch with their own δ, Adam state and early stop ({@link RomeEditor#fitDeltas}),
 *       ‖δ‖ ≤ clamp_norm_factor·‖h‖; zᵢ = hᵢ + δᵢ with hᵢ the residual on the bare prompt.</li>
 *   <li>For each layer l ascending, on the model with the earlier layers' updates applied:
 *       K (d_ff × n) = keys at the lookup position, averaged over the context templates per
 *       context type and then over the types ({@link #keyWeights});
 *       R = (Z − H_L) / (layers left, this one included), H_L recomputed on the current model;
 *       ΔW_l = R Kᵀ (λC + K Kᵀ)⁻¹, solved in float64; applied before the next layer.</li>
 * </ol>
 *
 * The caller's view is not modified: the partially updated model lives in a private overlay.
 */
public final class MemitEditor {
    private final LanguageModel lm;
    private final MemitHyperParams hp;
    private final IntFunction<SecondMoment> secondMoments;
    private final RomeEditor zStep;

    /** @param secondMoments C per layer; may be null when {@code mom2_adjustment} is off */
    public MemitEditor(LanguageModel lm, MemitHyperParams hp, IntFunction<SecondMoment> secondMoments) {
        this(lm, hp, secondMoments, null);
    }

    /**
     * With the context templates given ({@link RomeEditor#RomeEditor(LanguageModel, RomeHyperParams,
     * IntFunction, List)}); null generates them.
     */
    public MemitEditor(LanguageModel lm, MemitHyperParams hp, IntFunction<SecondMoment> secondMoments, List<String> templates) {
        this.lm = lm;
        this.hp = hp.validate(lm.config());
        if (hp.mom2Adjustment() && secondMoments == null) {
            throw new IllegalArgumentException("mom2_adjustment is on but no second-moment statistics were given");
        }
        this.secondMoments = secondMoments;
        this.zStep = new RomeEditor(lm, hp.zStep(), null, templates);
    }

    public MemitHyperParams hyperParams() {
        return hp;
    }

    public List<String> contextTemplates() {
        return zStep.contextTemplates();
    }

    /**
     * Each context template's weight in a request's key k: MEMIT's {@code compute_ks} (and
     * AlphaEdit's, its copy) averages the keys within each context type ("{}" alone, then the
     * prefixes of one [length, count] pair) and then over the types, so with MEMIT's one pair of 5
     * prefixes the bare prompt weighs 1/2 and each prefix 1/10. The z-step's loss is a plain mean
     * over the same templates (as in {@code compute_z}). Until 2026-12-08 Emend took the plain mean
     * for the keys as well (the bare prompt 1/6), which cost a batch of 100 on emend-facts-2 4.6
     * points of Edit Succ against EasyEdit (BENCHMARKS.md, session 16).
     */
    public double[] keyWeights() {
        return hp.keyTemplateWeights(contextTemplates().size());
    }

    /**
     * One layer's right factor: B (n × d_ff, row-major) such that ΔW_l = R·B, from the keys K
     * (n rows of d_ff) captured on the partially updated model. MEMIT's is (M⁻¹K)ᵀ with
     * M = λC + K Kᵀ; AlphaEdit plugs in its null-space-projected solve here and shares the rest.
     */
    @FunctionalInterface
    public interface LayerSolver {
        float[] rightFactor(int layer, int dff, double[][] keys);
    }

    /** Computes the batch update against {@code view}, without applying it to the caller's weights. */
    public MemitUpdate compute(ModelView view, List<RomeRequest> requests) {
        return compute(view, requests, "MEMIT", this::memitRightFactor);
    }

    /** As {@link #compute(ModelView, List)}, reporting the z-step's progress (once per finished request). */
    public MemitUpdate compute(ModelView view, List<RomeRequest> requests, Progress progress) {
        if (requests == null || requests.isEmpty()) {
            throw new IllegalArgumentException("MEMIT needs at least one edit request");
        }
        return compute(view, requests, targets(view, requests, progress), "MEMIT", null, progress);
    }

    /**
     * MEMIT's z-step and layer-by-layer spreading with {@code solver} deciding each layer's right
     * factor (the left factor is always R, the residual share of the layer).
     */
    public MemitUpdate compute(ModelView view, List<RomeRequest> requests, String method, LayerSolver solver) {
        if (requests == null || requests.isEmpty()) {
            throw new IllegalArgumentException(method + " needs at least one edit request");
        }
        return compute(view, requests, targets(view, requests), method, solver);
    }

    /**
     * The z-step's outcome for a batch: zᵢ = hᵢ + δᵢ at the last edited layer, and per request
     * ‖δᵢ‖, ‖hᵢ‖, the iterations run and the target probability reached. It depends only on the
     * view and the z-step settings, so editors with the same settings can share it (a probe
     * comparing MEMIT and AlphaEdit on one batch).
     */
    public record Targets(double[][] z, double[] deltaNorms, double[] residualNorms, int[] steps, double[] probabilities,
                          FirstCapture first) {}

    /**
     * The first edited layer's key capture, taken by the z-step's clean pass on the weights
     * {@code weights} (it runs the same context-template prompts through the same unedited blocks):
     * the keys and the residual stream entering that layer ({@code tap}), and per request the
     * residual output of the last edited layer on the bare prompt ({@code residual}, h).
     * {@link #compute} uses it instead of capturing again when it edits those same weights.
     */
    public record FirstCapture(Object weights, RomeEditor.KeyTap tap, double[][] residual) {}

    /** Runs the z-step for every request against {@code view}. */
    public Targets targets(ModelView view, List<RomeRequest> requests) {
        return targets(view, requests, Progress.NONE);
    }

    /**
     * As {@link #targets(ModelView, List)}, reporting the fraction of requests finished each time
     * one stops (one stage name, so a progress log can keep to its deciles): the z-step is the
     * part of a batch that grows with its size.
     */
    public Targets targets(ModelView view, List<RomeRequest> requests, Progress progress) {
        int n = requests.size();
        int lastLayer = hp.lastLayer();
        int dModel = lm.config().hiddenSize();
        double[][] z = new double[n][];
        double[] deltaNorms = new double[n];
        double[] residualNorms = new double[n];
        int[] steps = new int[n];
        double[] probs = new double[n];
        double[][] residual = new double[n][];
        int first = hp.layers().get(0);
        RomeEditor.KeyTap tap = new RomeEditor.KeyTap(first, n, lm.model().mlpDown(first).inFeatures(), keyWeights());
        List<RomeEditor.DeltaFit> fits = zStep.fitDeltas(view, requests, lastLayer, true, progress,
                "z-step of " + n + " requests", tap);
        for (int i = 0; i < n; i++) {
            RomeEditor.DeltaFit fit = fits.get(i);
            float[] h = fit.outs()[0];
            z[i] = new double[dModel];
            for (int j = 0; j < dModel; j++) {
                z[i][j] = h[j] + fit.delta()[j];
            }
            deltaNorms[i] = norm(fit.delta());
            double hn = 0;
            residual[i] = new double[dModel];
            for (int j = 0; j < dModel; j++) {
                residual[i][j] = h[j];
                hn += (double) h[j] * h[j];
            }
            residualNorms[i] = Math.sqrt(hn);
            steps[i] = fit.steps();
            probs[i] = fit.targetProbability();
        }
        return new Targets(z, deltaNorms, residualNorms, steps, probs, new FirstCapture(view.weights(), tap, residual));
    }

    /**
     * As {@link #compute(ModelView, List, String, LayerSolver)} with the z-step already run on
     * {@code view}; a null {@code solver} is MEMIT's own.
     */
    public MemitUpdate compute(ModelView view, List<RomeRequest> requests, Targets t, String method, LayerSolver layerSolver) {
        return compute(view, requests, t, method, layerSolver, Progress.NONE);
    }

    /**
     * As above, reporting per edited layer the stage "keys and update of layer L" with the fraction
     * of its key captures done (after the z-step, a batch of 1,000 on the default model spends
     * 10–15 s here; the first layer reuses the z-step's capture).
     */
    public MemitUpdate compute(ModelView view, List<RomeRequest> requests, Targets t, String method, LayerSolver layerSolver,
                               Progress progress) {
        LayerSolver solver = layerSolver != null ? layerSolver : this::memitRightFactor;
        int n = requests.size();
        if (t.z().length != n) {
            throw new IllegalArgumentException("targets for " + t.z().length + " requests, got " + n + " requests");
        }
        int lastLayer = hp.lastLayer();
        int dModel = lm.config().hiddenSize();
        double[][] z = t.z();
        double[] deltaNorms = t.deltaNorms();
        double[] residualNorms = t.residualNorms();
        int[] steps = t.steps();
        double[] probs = t.probabilities();

        List<MemitUpdate.LayerDelta> deltas = new ArrayList<>();
        try (OverlayWeights work = new OverlayWeights(view.weights(), lm.manager())) {
            ModelView current = new ModelView(work, view.hooks());
            List<Integer> layers = hp.layers();
            // The updates change layers ≥ layers[0] only: the residual stream entering it is kept
            // from the first capture, and the later captures run from there.
            Lower lower = new Lower(layers.get(0));
            for (int li = 0; li < layers.size(); li++) {
                int layer = layers.get(li);
                LinearRef down = lm.model().mlpDown(layer);
                int dff = down.inFeatures();
                String stage = "keys and update of layer " + layer;
                FirstCapture first = t.first();
                Captured c;
                if (li == 0 && first != null && first.weights() == view.weights() && first.tap().layer() == layer) {
                    // The z-step's clean pass already ran these prompts through these weights.
                    c = captured(first, lower);
                    progress.report(stage, 1.0);
                } else {
                    c = capture(current, requests, layer, lastLayer, lower, f -> progress.report(stage, f));
                }
                int left = layers.size() - li;
                // A = R (d_model × n), row-major.
                float[] af = new float[dModel * n];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < dModel; j++) {
                        af[j * n + i] = (float) ((z[i][j] - c.residual[i][j]) / left);
                    }
                }
                float[] b = solver.rightFactor(layer, dff, c.keys);
                if (b.length != n * dff) {
                    throw new IllegalStateException(method + ": right factor of layer " + layer + " has " + b.length
                            + " values, expected " + n + "×" + dff);
                }
                MemitUpdate.LayerDelta d = new MemitUpdate.LayerDelta(layer, down.weight(), down.layout(), n, dModel, dff, af, b);
                write(work, d, 1f);
                deltas.add(d);
            }
        }
        return new MemitUpdate(method, List.copyOf(deltas), deltaNorms, residualNorms, steps, probs);
    }

    /** MEMIT's B = (M⁻¹K)ᵀ, M = λC + K Kᵀ, solved in float64 (package-visible for {@code MemitKeysProbe}). */
    float[] memitRightFactor(int layer, int dff, double[][] keys) {
        int n = keys.length;
        double[] m;
        if (hp.mom2Adjustment()) {
            SecondMoment cov = secondMoments.apply(layer);
            if (cov.dim() != dff) {
                throw new IllegalStateException("second moment for layer " + layer + " is " + cov.dim()
                        + "-dimensional, the MLP has d_ff " + dff);
            }
            m = cov.toArray();
            for (int p = 0; p < m.length; p++) {
                m[p] *= hp.mom2UpdateWeight();
            }
        } else {
            m = new double[dff * dff];
        }
        for (int i = 0; i < n; i++) {
            double[] k = keys[i];
            for (int p = 0; p < dff; p++) {
                double kp = k[p];
                int row = p * dff;
                for (int q = 0; q < dff; q++) {
                    m[row + q] += kp * k[q];
                }
            }
        }
        Cholesky solver = Cholesky.factor(m, dff, "MEMIT's system λC + KKᵀ at layer " + layer);
        float[] b = new float[n * dff];
        for (int i = 0; i < n; i++) {
            double[] x = solver.solve(keys[i]);
            for (int p = 0; p < dff; p++) {
                b[i * dff + p] = (float) x[p];
            }
        }
        return b;
    }

    /**
     * Per request, layer {@code layer}'s MLP key at the lookup position, averaged over the context
     * templates, on {@code view} (AlphaEdit accumulates these after each edit).
     */
    public double[][] keys(ModelView view, List<RomeRequest> requests, int layer) {
        return capture(view, requests, layer, -1, null, f -> { }).keys;
    }

    /** Computes the batch update on the overlay's current weights (with {@code hooks}) and applies it. */
    public MemitUpdate edit(OverlayWeights overlay, Hooks hooks, List<RomeRequest> requests) {
        MemitUpdate u = compute(new ModelView(overlay, hooks), requests);
        apply(overlay, u);
        return u;
    }

    private record Captured(double[][] keys, double[][] residual) {}

    /**
     * The first capture from the z-step's tap; the later captures resume from the tap's stream
     * ({@link Lower#start}), which is not copied.
     */
    private Captured captured(FirstCapture first, Lower lower) {
        RomeEditor.KeyTap tap = first.tap();
        if (lower != null && lower.layer > 0) {
            if (lower.layer != tap.layer()) {
                throw new IllegalStateException("the tap is at layer " + tap.layer() + ", the kept stream at " + lower.layer);
            }
            lower.tap = tap;
            lower.filled = true;
        }
        return new Captured(tap.keys(), first.residual());
    }

    /** Requests per forward pass when capturing keys: bounds memory for batches of thousands. */
    static final int CAPTURE_CHUNK = 32;

    /**
     * Per request: the mean over context templates of layer {@code layer}'s MLP key at the lookup
     * position, and the residual output of block {@code zLayer} there on the bare prompt. Runs
     * {@link #CAPTURE_CHUNK} requests per forward pass: one pass over a batch of 1,000 requests
     * (× the context templates) held ~22 GB of activations and was killed by the OOM killer.
     */
    private Captured capture(ModelView view, List<RomeRequest> requests, int layer, int zLayer, Lower lower,
                             java.util.function.DoubleConsumer done) {
        int n = requests.size();
        int dff = lm.model().mlpDown(layer).inFeatures();
        double[][] keys = new double[n][dff];
        double[][] residual = new double[n][];
        for (int from = 0, c = 0; from < n; from += CAPTURE_CHUNK, c++) {
            int to = Math.min(n, from + CAPTURE_CHUNK);
            captureChunk(view, requests.subList(from, to), layer, zLayer, keys, residual, from, lower, c);
            done.accept((double) to / n);
        }
        if (lower != null) {
            lower.filled = true;
        }
        return new Captured(keys, residual);
    }

    /**
     * The residual stream entering block {@code layer} per capture chunk (row-major
     * {@code [rows, len, d_model]}), kept by the first capture of a batch so that the captures after
     * it, on weights changed only at {@code layer} and above, run from there.
     */
    private static final class Lower {
        final int layer;
        final List<float[]> chunks = new ArrayList<>();
        /** Where the stream comes from instead of {@link #chunks} when the z-step's clean pass gave it. */
        RomeEditor.KeyTap tap;
        boolean filled;

        Lower(int layer) {
            this.layer = layer;
        }

        /**
         * Capture chunk {@code chunk}'s stream, {@code [rows, len, d_model]} row-major with rows
         * (requests from {@code from}, each with its templates) ending at their lookup position,
         * as {@link #captureChunk} builds them.
         */
        float[] start(int chunk, int from, int requests, int len, int dModel) {
            if (tap == null) {
                return chunks.get(chunk);
            }
            int t = tap.entering()[from].length;
            float[] out = new float[requests * t * len * dModel];
            for (int i = 0; i < requests; i++) {
                for (int j = 0; j < t; j++) {
                    float[] e = tap.entering()[from + i][j];
                    System.arraycopy(e, 0, out, (i * t + j) * len * dModel, e.length);
                }
            }
            return out;
        }
    }

    private void captureChunk(ModelView view, List<RomeRequest> requests, int layer, int zLayer, double[][] keys,
                              double[][] residual, int offset, Lower lowerCache, int chunk) {
        Lower lower = lowerCache != null && lowerCache.layer > 0 ? lowerCache : null;
        List<String> templates = contextTemplates();
        int t = templates.size();
        double[] weights = keyWeights();
        int n = requests.size();
        List<int[]> rows = new ArrayList<>();
        List<Integer> lookup = new ArrayList<>();
        for (RomeRequest r : requests) {
            for (String tpl : templates) {
                RomeEditor.Located loc = zStep.locate(tpl.replace("{}", r.promptTemplate()), r.subject());
                // Nothing after the lookup position can change what is read there (causal attention).
                rows.add(Arrays.copyOf(loc.ids(), loc.index() + 1));
                lookup.add(loc.index());
            }
        }
        int batch = rows.size();
        int len = rows.stream().mapToInt(x -> x.length).max().orElseThrow();
        long[][] ids = new long[batch][len];
        int[][] mask = new int[batch][len];
        for (int b = 0; b < batch; b++) {
            int[] r = rows.get(b);
            for (int p = 0; p < r.length; p++) {
                ids[b][p] = r[p];
                mask[b][p] = 1;
            }
        }
        int dff = lm.model().mlpDown(layer).inFeatures();
        int dModel = lm.config().hiddenSize();
        boolean resume = lower != null && lower.filled;
        try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            LayerHook hook = new LayerHook() {
                @Override
                public NDArray mlpOutput(int l, NDArray k, NDArray out, HookContext ctx) {
                    if (l == layer) {
                        float[] kf = k.toFloatArray();
                        for (int b = 0; b < batch; b++) {
                            int base = (b * len + lookup.get(b)) * dff;
                            double[] dst = keys[offset + b / t];
                            double w = weights[b % t];
                            for (int p = 0; p < dff; p++) {
                                dst[p] += kf[base + p] * w;
                            }
                        }
                    }
                    return out;
                }

                @Override
                public NDArray blockOutput(int l, NDArray hidden, HookContext ctx) {
                    if (lower != null && !resume && l == lower.layer - 1) {
                        lower.chunks.add(hidden.toFloatArray());
                    }
                    if (l == zLayer) {
                        float[] hf = hidden.toFloatArray();
                        for (int i = 0; i < n; i++) {
                            int b = i * t; // templates.get(0) is "{}": the bare prompt
                            int base = (b * len + lookup.get(b)) * dModel;
                            double[] dst = new double[dModel];
                            for (int p = 0; p < dModel; p++) {
                                dst[p] = hf[base + p];
                            }
                            residual[offset + i] = dst;
                        }
                    }
                    return hidden;
                }
            };
            // Only the blocks up to the ones read, and from the kept lower residual stream when there is one.
            int end = Math.max(layer, zLayer) + 1;
            ForwardInput input = new ForwardInput(ids, mask);
            Hooks hooks = view.hooks().with(Hooks.of(hook));
            if (resume) {
                NDArray start = m.create(lower.start(chunk, offset, n, len, dModel), new Shape(batch, len, dModel));
                lm.model().runBlocks(m, view.weights(), input, lower.layer, start, end, hooks);
            } else {
                lm.model().runBlocks(m, view.weights(), input, 0, null, end, hooks);
            }
        }
    }

    // ------------------------------------------------------------------ applying

    /** Writes W + ΔW for every layer into the overlay (the base is never touched). */
    public static void apply(OverlayWeights overlay, MemitUpdate update) {
        for (MemitUpdate.LayerDelta d : update.layers()) {
            write(overlay, d, 1f);
        }
    }

    /** Writes W − ΔW for every layer (in reverse order): undoes {@link #apply} up to float rounding. */
    public static void revert(OverlayWeights overlay, MemitUpdate update) {
        List<MemitUpdate.LayerDelta> ls = update.layers();
        for (int i = ls.size() - 1; i >= 0; i--) {
            write(overlay, ls.get(i), -1f);
        }
    }

    /** The layer's ΔW in storage orientation, as a flat row-major array (for tests and inspection). */
    public static float[] storedDelta(MemitUpdate.LayerDelta d) {
        float[] out = new float[d.dModel() * d.dff()];
        int n = d.rank();
        for (int j = 0; j < d.dModel(); j++) {
            for (int p = 0; p < d.dff(); p++) {
                double s = 0;
                for (int i = 0; i < n; i++) {
                    s += (double) d.a()[j * n + i] * d.b()[i * d.dff() + p];
                }
                if (d.layout() == WeightLayout.IN_OUT) {
                    out[p * d.dModel() + j] = (float) s;
                } else {
                    out[j * d.dff() + p] = (float) s;
                }
            }
        }
        return out;
    }

    private static void write(OverlayWeights overlay, MemitUpdate.LayerDelta d, float sign) {
        NDArray w = overlay.get(d.weightName());
        try (NDManager m = w.getManager().newSubManager(); NDScope scope = new NDScope()) {
            int n = d.rank();
            float[] a = new float[d.a().length];
            for (int i = 0; i < a.length; i++) {
                a[i] = sign * d.a()[i];
            }
            NDArray am = m.create(a, new Shape(d.dModel(), n));
            NDArray bm = m.create(d.b(), new Shape(n, d.dff()));
            NDArray delta = d.layout() == WeightLayout.IN_OUT ? bm.transpose().matMul(am.transpose()) : am.matMul(bm);
            overlay.replace(d.weightName(), OverlayWeights.sumInFloat32(delta, w));
        }
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}
