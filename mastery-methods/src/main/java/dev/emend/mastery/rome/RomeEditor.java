package dev.emend.mastery.rome;

import dev.emend.core.edit.Progress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.model.WeightLayout;
import dev.emend.core.runtime.GenerationOptions;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.tokenizer.TextTokenizer;
import dev.emend.mastery.stats.SecondMoment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * Rank-One Model Editing (Meng et al., 2022) of one layer's MLP down-projection W_out.
 *
 * <ol>
 *   <li>k*: the mean, over context templates ("{}" and short prefixes the model generated
 *       itself), of W_out's input at the subject's last token; u = C⁻¹k* (C the keys' second
 *       moment over a corpus), left = u/‖u‖.</li>
 *   <li>δ: a vector added to the MLP output at the subject position in every rewriting prompt
 *       (template + prompt + target prefix) and in "{subject} is a", optimised with Adam on
 *       mean target NLL + kl_factor·KL(P_δ‖P₀) + v_weight_decay·‖δ‖/‖v₀‖², projected into
 *       ‖δ‖ ≤ clamp_norm_factor·‖v₀‖ after each step, stopping once the loss is below 0.05.</li>
 *   <li>right = (v₀+δ − (W k + b)) / (k·left), so W' = W + right·leftᵀ maps k to v₀+δ exactly;
 *       k is the bare prompt's key (ROME) or the template average k* (R-ROME).</li>
 * </ol>
 *
 * The update is computed against a {@link ModelView} (the space's current weights and hooks, so
 * sequential edits build on each other); C is the base model's. One optimisation runs at a time
 * per JVM ({@link GradientSession}).
 */
public final class RomeEditor {
    /** EasyEdit's early-stopping threshold on the total loss. */
    public static final double STOP_LOSS = 0.05;
    private static final String[] TEMPLATE_STARTS = {"The", "Therefore", "Because", "I", "You"};
    private static final long TEMPLATE_SEED = 20240917L;
    private static final Map<String, List<String>> TEMPLATE_CACHE = new ConcurrentHashMap<>();

    private final LanguageModel lm;
    private final RomeHyperParams hp;
    private final IntFunction<SecondMoment> secondMoments;
    private Progress progress = Progress.NONE;

    /**
     * @param secondMoments C for a layer (e.g. from a {@code CovarianceCache}); may be null when
     *                      {@code mom2_adjustment} is off
     */
    public RomeEditor(LanguageModel lm, RomeHyperParams hp, IntFunction<SecondMoment> secondMoments) {
        this.lm = lm;
        this.hp = hp.validate(lm.config());
        if (hp.mom2Adjustment() && secondMoments == null) {
            throw new IllegalArgumentException("mom2_adjustment is on but no second-moment statistics were given");
        }
        this.secondMoments = secondMoments;
    }

    /**
     * Reports each step of the value optimisation ("v optimisation", the fraction of
     * {@code v_num_grad_steps}); a report that throws (a cancelled edit operation) stops it.
     */
    public RomeEditor withProgress(Progress p) {
        this.progress = p == null ? Progress.NONE : p;
        return this;
    }

    public RomeHyperParams hyperParams() {
        return hp;
    }

    // ------------------------------------------------------------------ context templates

    /**
     * "{}" followed by "text. {}" for short texts the base model generated from "The",
     * "Therefore", "Because", "I", "You" (top-5 sampling, fixed seed); cached per model and
     * length parameters, since every edit of a model uses the same ones.
     */
    public List<String> contextTemplates() {
        String key = lm.fingerprint() + "|" + hp.contextTemplateLengthParams();
        return TEMPLATE_CACHE.computeIfAbsent(key, k -> generateTemplates());
    }

    private List<String> generateTemplates() {
        List<String> out = new ArrayList<>();
        out.add("{}");
        TextTokenizer tok = lm.tokenizer();
        int n = 0;
        for (List<Integer> p : hp.contextTemplateLengthParams()) {
            int length = p.get(0);
            int count = p.get(1);
            for (int i = 0; i < count; i++, n++) {
                String start = TEMPLATE_STARTS[i % TEMPLATE_STARTS.length];
                int[] promptIds = lm.encodePrompt(start);
                int newTokens = Math.max(1, length - promptIds.length);
                GenerationOptions o = GenerationOptions.sampling(newTokens, 1f, 5, 1f, TEMPLATE_SEED + 7919L * n);
                int[] gen = lm.generateIds(lm.baseView(), promptIds, o);
                int keep = gen.length;
                while (keep > 0 && lm.isEos(gen[keep - 1])) {
                    keep--;
                }
                String text = start + tok.decode(Arrays.copyOf(gen, keep));
                text = text.replace("{", " ").replace("}", " ").replace("\n", " ");
                out.add(text + ". {}");
            }
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ tokenization

    /** A prompt tokenized around its subject, and the position the fact is read at. */
    public record Located(int[] ids, int index) {}

    /**
     * Tokenizes {@code template} (one {@code {}}) with {@code subject} in place: prefix, subject
     * and suffix separately, so the subject's token span is exact. A space before the subject
     * moves into the subject (" Paris" is one byte-level token, "Paris" after a space is not).
     */
    public Located locate(String template, String subject) {
        int at = template.indexOf("{}");
        String prefix = template.substring(0, at);
        String suffix = template.substring(at + 2);
        String word = subject;
        if (prefix.endsWith(" ")) {
            prefix = prefix.substring(0, prefix.length() - 1);
            word = " " + subject.strip();
        }
        TextTokenizer tok = lm.tokenizer();
        int[] p = prefix.isEmpty() ? new int[0] : tok.encode(prefix);
        int[] w = tok.encode(word);
        int[] s = suffix.isEmpty() ? new int[0] : tok.encode(suffix);
        if (w.length == 0) {
            throw new IllegalArgumentException("subject '" + subject + "' tokenizes to nothing");
        }
        int[] text = new int[p.length + w.length + s.length];
        System.arraycopy(p, 0, text, 0, p.length);
        System.arraycopy(w, 0, text, p.length, w.length);
        System.arraycopy(s, 0, text, p.length + w.length, s.length);
        // The checkpoint's BOS (if its tokenizer adds one) goes first, as EasyEdit's tok(...) does.
        int[] ids = lm.specialTokens().frame(text);
        int bos = ids.length - text.length;
        int index = switch (hp.factToken()) {
            case "subject_first" -> bos + p.length;
            case "last" -> ids.length - 1;
            default -> bos + p.length + w.length - 1;
        };
        return new Located(ids, index);
    }

    // ------------------------------------------------------------------ the edit

    /**
     * The δ optimisation's outcome (shared with MEMIT): δ, and per row (one per context template,
     * then "{} is a") the MLP key and the hooked vector (MLP output, or residual) at the lookup
     * position on the clean pass.
     */
    public record DeltaFit(double[] delta, float[][] keys, float[][] outs, int rewriting, int steps, double finalLoss,
                           double targetProbability) {}

    /** Computes the update for {@code request} against {@code view}, without applying it. */
    public RomeUpdate compute(ModelView view, RomeRequest request) {
        int layer = hp.layer();
        LinearRef down = lm.model().mlpDown(layer);
        int dff = down.inFeatures();
        int dModel = down.outFeatures();
        DeltaFit fit = fitDelta(view, request, layer, false);
        double[] delta = fit.delta();
        float[][] keys = fit.keys();
        float[][] outs = fit.outs();
        int rewriting = fit.rewriting();
        double[] v0 = toDouble(outs[0]);
        double v0Norm = norm(v0);
        int steps = fit.steps();
        double lastLoss = fit.finalLoss();
        double lastProb = fit.targetProbability();
        // Key and current output the update is solved for.
        double[] key;
        double[] current;
        double[] kStar = new double[dff];
        for (int b = 0; b < rewriting; b++) {
            for (int i = 0; i < dff; i++) {
                kStar[i] += keys[b][i] / rewriting;
            }
        }
        if (hp.rRome()) {
            key = kStar;
            current = new double[dModel];
            for (int b = 0; b < rewriting; b++) {
                for (int i = 0; i < dModel; i++) {
                    current[i] += outs[b][i] / rewriting;
                }
            }
        } else {
            // templates.get(0) is "{}": the bare prompt.
            key = toDouble(keys[0]);
            current = v0;
        }
        double[] u = hp.mom2Adjustment() ? secondMoments.apply(layer).solve(kStar) : kStar.clone();
        double uNorm = norm(u);
        double[] left = new double[dff];
        for (int i = 0; i < dff; i++) {
            left[i] = u[i] / uNorm;
        }
        double denom = dot(key, left);
        if (!(Math.abs(denom) > 1e-12)) {
            throw new IllegalStateException("ROME: the subject key is orthogonal to C⁻¹k* (k·u = " + denom
                    + "); the update is undefined for this edit at layer " + layer);
        }
        double[] targetValue = new double[dModel];
        double[] right = new double[dModel];
        for (int i = 0; i < dModel; i++) {
            targetValue[i] = v0[i] + delta[i];
            right[i] = (targetValue[i] - current[i]) / denom;
        }
        return new RomeUpdate(hp.methodName(), layer, down.weight(), down.layout(), toFloat(left), toFloat(right),
                toFloat(key), toFloat(targetValue), norm(delta), v0Norm, steps, lastLoss, lastProb);
    }

    /**
     * Optimises δ for {@code request} at {@code layer}: added to the MLP output ({@code residual}
     * false, ROME) or to the block's residual output (true, MEMIT) at the lookup position of every
     * rewriting prompt and of "{subject} is a"; Adam on NLL + kl_factor·KL + weight decay, clamped
     * to clamp_norm_factor times the norm of the hooked vector on the bare prompt.
     */
    public DeltaFit fitDelta(ModelView view, RomeRequest request, int layer, boolean residual) {
        return new DeltaOptimiser(this, lm, hp, layer, residual).fit(view, List.of(request), progress, Progress.NONE, "").get(0);
    }

    /**
     * {@link #fitDelta} for many requests at once (MEMIT's and AlphaEdit's z-step): each request
     * keeps its own δ, Adam state, clamp and early stop, and they run as rows of one batch
     * ({@link DeltaOptimiser}); {@code progress} hears {@code stage} with the fraction of requests
     * finished, once per request.
     */
    public List<DeltaFit> fitDeltas(ModelView view, List<RomeRequest> requests, int layer, boolean residual,
                                    Progress progress, String stage) {
        return fitDeltas(view, requests, layer, residual, progress, stage, null);
    }

    /**
     * As above; with a {@code tap}, the clean pass before the steps also fills it (it runs the
     * unedited blocks over each request's context-template prompts anyway).
     */
    public List<DeltaFit> fitDeltas(ModelView view, List<RomeRequest> requests, int layer, boolean residual,
                                    Progress progress, String stage, KeyTap tap) {
        if (tap != null && (tap.layer() > layer || tap.keys().length != requests.size())) {
            throw new IllegalArgumentException("a key tap at layer " + tap.layer() + " for " + tap.keys().length
                    + " requests cannot be filled by a z-step at layer " + layer + " for " + requests.size());
        }
        return new DeltaOptimiser(this, lm, hp, layer, residual).fit(view, requests, Progress.NONE, progress, stage, tap);
    }

    /**
     * What MEMIT's first key capture reads, taken from the z-step's clean pass instead of a pass of
     * its own: per request, layer {@code layer}'s MLP key at the lookup position averaged over the
     * context templates ({@code keys}, d_ff each), and per request and template the residual stream
     * entering that layer at positions 0..lookup ({@code entering[i][j]}, {@code (lookup + 1) × d_model}
     * row-major), from which the later captures resume. The clean pass runs the same templates over
     * the same prompts on the same weights; the positions after the lookup (the target tokens) cannot
     * change what is at or before it (causal attention).
     */
    public record KeyTap(int layer, double[][] keys, float[][][] entering) {
        public KeyTap(int layer, int requests, int dff, int templates) {
            this(layer, new double[requests][dff], new float[requests][templates][]);
        }
    }

    /** Computes the update on the overlay's current weights (with {@code hooks}) and applies it. */
    public RomeUpdate edit(OverlayWeights overlay, Hooks hooks, RomeRequest request) {
        RomeUpdate u = compute(new ModelView(overlay, hooks), request);
        apply(overlay, u);
        return u;
    }

    // ------------------------------------------------------------------ applying

    /** Writes W + ΔW into the overlay (the base is never touched). */
    public static void apply(OverlayWeights overlay, RomeUpdate update) {
        write(overlay, update, 1f);
    }

    /** Writes W − ΔW: undoes {@link #apply} up to float rounding. */
    public static void revert(OverlayWeights overlay, RomeUpdate update) {
        write(overlay, update, -1f);
    }

    private static void write(OverlayWeights overlay, RomeUpdate update, float sign) {
        NDArray w = overlay.get(update.weightName());
        try (NDManager m = w.getManager().newSubManager(); NDScope scope = new NDScope()) {
            float[] l = update.left();
            float[] r = update.right();
            float[] signed = new float[r.length];
            for (int i = 0; i < r.length; i++) {
                signed[i] = sign * r[i];
            }
            NDArray outer = update.layout() == WeightLayout.IN_OUT
                    ? m.create(l, new Shape(l.length, 1)).matMul(m.create(signed, new Shape(1, r.length)))
                    : m.create(signed, new Shape(r.length, 1)).matMul(m.create(l, new Shape(1, l.length)));
            // The request-scoped array comes first so the sum belongs to this sub-manager.
            overlay.replace(update.weightName(), OverlayWeights.sumInFloat32(outer, w));
        }
    }

    // ------------------------------------------------------------------ small vector helpers

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            f[i] = (float) a[i];
        }
        return f;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
