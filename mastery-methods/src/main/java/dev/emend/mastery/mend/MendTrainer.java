package dev.emend.mastery.mend;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.edit.Hparams;
import dev.emend.core.edit.KnowEditCases;
import dev.emend.core.edit.MethodDescriptor;
import dev.emend.core.grad.Adam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.Hooks;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.engine.MasteryEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Trains a MEND editor for a model (EasyEdit's {@code EditTrainer} with {@code alg: MEND}). Each step
 * takes one training case (batch_size 1, as every published MEND file), edits the unedited model with
 * the current editor ({@link MendEditor}: capture (u, δ), update the running statistics, transform,
 * ΔW) and measures, on the edited model,
 * <pre>
 *   L = cedit · NLL(target | prompt) + cloc · KL(p_base ‖ p_edited)   over the case's locality sequences
 * </pre>
 * (KL per position of the locality prompt + answer, mean over real tokens: EasyEdit's {@code kl_loc_loss}).
 * Gradients of L / accumulate_bs are summed over accumulate_bs steps, clipped to norm grad_clip over all
 * trainable values, then Adam (the shared {@link Adam}, one per trainable value) steps the networks (lr) and
 * the edit learning rates (lr_lr). The order
 * of cases is a seeded shuffle per epoch, so a resumed run sees the cases it would have seen.
 *
 * <p>Deviations from EasyEdit, each for this project's data and machines: the locality sequences are
 * the case's own locality prompts with their answers (EasyEdit's zsRE loader draws Natural Questions
 * pairs, which the fact world does not have); the edit learning rates are stepped by their own
 * Adam only (EasyEdit also adds them to the editor's optimizer, at lr = 1e-6); no early stopping (the
 * run stops at max_iters); a resumed run restarts Adam's moments (the editor file holds weights,
 * statistics and the step, not the optimizer state).
 */
public final class MendTrainer {
    /** One training or validation case: the edit and the locality sequences (prompt + " " + answer). */
    public record Case(String prompt, String subject, String target, List<String> locality) {}

    /** Progress of a training run. valEs/valLoc are NaN between validations. */
    public record Report(long step, long maxIters, double loss, double editNll, double kl, double valEs, double valLoc,
                         double secondsLeft, boolean saved) {
        public String line() {
            String val = Double.isNaN(valEs) ? "" : String.format(Locale.ROOT, "  val ES %.1f  val Loc %.1f", 100 * valEs, 100 * valLoc);
            return String.format(Locale.ROOT, "step %d/%d  loss %.4f  edit NLL %.4f  KL %.4f%s  ETA %s%s", step, maxIters,
                    loss, editNll, kl, val, eta(secondsLeft), saved ? "  (saved)" : "");
        }

        private static String eta(double s) {
            long t = Math.round(s);
            return String.format(Locale.ROOT, "%d:%02d:%02d", t / 3600, (t / 60) % 60, t % 60);
        }
    }

    /** Receives progress; a listener that throws stops the run (after the last saved checkpoint). */
    @FunctionalInterface
    public interface Listener {
        void report(Report r);
    }

    /** A validation result: mean edit success (token accuracy of the target after the edit) and locality. */
    public record Validation(double editSucc, double locality, double editNll) {}

    private final LanguageModel lm;
    private final ModelView base;

    public MendTrainer(LanguageModel lm) {
        this.lm = lm;
        this.base = lm.baseView();
    }

    /**
     * MEND's hyperparameters on {@code lm} (served as {@code modelName}): the method's per-model
     * defaults ({@code hparams/MEND/*.yaml}, as /v1/methods lists them) under {@code overrides}.
     */
    public static MendHyperParams hyperParams(LanguageModel lm, String modelName, Map<String, ?> overrides) {
        MethodDescriptor d = MasteryEngine.methodsWithDefaults(lm, modelName).stream().filter(m -> m.name().equals("MEND"))
                .findFirst().orElseThrow(() -> new IllegalStateException("MEND is not registered (META-INF/services)"));
        return MendHyperParams.from(Hparams.resolve(d, overrides)).validate(lm.config(), lm.model().projections());
    }

    /** The last {@code fraction} of the cases (at least one when fraction > 0), held out for validation. */
    public static List<List<Case>> holdOut(List<Case> cases, double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + fraction);
        }
        int val = fraction == 0 ? 0 : Math.max(1, (int) Math.ceil(cases.size() * fraction));
        return List.of(cases.subList(0, cases.size() - val), cases.subList(cases.size() - val, cases.size()));
    }

    /** The cases of a KnowEdit JSON file (zsRE or counterfact format); records without locality keep an empty list. */
    public static List<Case> readCases(Path file) {
        JsonArray arr;
        try {
            arr = JsonParser.parseString(Files.readString(file)).getAsJsonArray();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": not a JSON array of KnowEdit records (" + e.getMessage() + ")", e);
        }
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonObject o = arr.get(i).getAsJsonObject();
            if (!o.has("prompt") || !o.has("target_new")) {
                throw new IllegalArgumentException(file + " record " + i + ": needs prompt and target_new");
            }
            List<String> loc = KnowEditCases.localityPairs(o).stream().map(pair -> pair[0] + " " + pair[1]).toList();
            String subject = o.has("subject") ? o.get("subject").getAsString() : "";
            out.add(new Case(o.get("prompt").getAsString(), subject, o.get("target_new").getAsString(), loc));
        }
        return out;
    }

    /**
     * Trains {@code net} from its current step to max_iters on {@code train}, validating on up to
     * val_steps cases of {@code val} every val_interval steps and at the end, writing the editor to
     * {@code out} after each validation (when {@code out} is not null).
     */
    public MendNetwork train(MendNetwork net, List<Case> train, List<Case> val, Path out, Map<String, String> info,
                             Listener listener) {
        if (train.isEmpty()) {
            throw new IllegalArgumentException("no training cases");
        }
        MendHyperParams hp = net.hyperParams();
        MendEditor editor = new MendEditor(lm, net);
        Map<String, float[]> params = net.params();
        Map<String, float[]> grads = new LinkedHashMap<>();
        Map<String, Adam> adam = new LinkedHashMap<>();
        params.forEach((k, v) -> {
            grads.put(k, new float[v.length]);
            adam.put(k, new Adam(v.length, k.equals("edit_lrs") ? hp.lrLr() : hp.lr()));
        });
        long start = System.nanoTime();
        long first = net.steps();
        double loss = 0;
        double nll = 0;
        double kl = 0;
        int accumulated = 0;
        for (long step = first; step < hp.maxIters(); step++) {
            Case c = pick(train, step, hp.seed());
            double[] l = step(net, editor, c, grads, hp.accumulateBs());
            loss = l[0];
            nll = l[1];
            kl = l[2];
            accumulated++;
            net.steps(step + 1);
            if (accumulated == hp.accumulateBs() || step + 1 == hp.maxIters()) {
                adam(params, grads, adam, hp);
                accumulated = 0;
            }
            boolean validate = (step + 1) % hp.valInterval() == 0 || step + 1 == hp.maxIters();
            Validation v = validate && !val.isEmpty() && hp.valSteps() > 0
                    ? validate(net, val.subList(0, Math.min(val.size(), hp.valSteps()))) : null;
            if (validate && out != null) {
                Map<String, String> meta = new LinkedHashMap<>(info);
                if (v != null) {
                    meta.put("val_edit_succ", String.format(Locale.ROOT, "%.4f", v.editSucc()));
                    meta.put("val_locality", String.format(Locale.ROOT, "%.4f", v.locality()));
                }
                MendEditorFile.write(out, lm, net, meta);
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            double left = elapsed / (step + 1 - first) * (hp.maxIters() - step - 1);
            listener.report(new Report(step + 1, hp.maxIters(), loss, nll, kl, v == null ? Double.NaN : v.editSucc(),
                    v == null ? Double.NaN : v.locality(), left, validate && out != null));
        }
        return net;
    }

    /** The case of a step: a seeded shuffle of the cases per epoch. */
    static Case pick(List<Case> cases, long step, long seed) {
        long epoch = step / cases.size();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
        return cases.get(order.get((int) (step % cases.size())));
    }

    /** One training step: adds ∂(L / accumulate)/∂θ to {@code grads}; returns L, NLL and KL. */
    private double[] step(MendNetwork net, MendEditor editor, Case c, Map<String, float[]> grads, int accumulate) {
        MendHyperParams hp = net.hyperParams();
        MendEditor.Batch eb = editor.batch(List.<String[]>of(new String[] {c.prompt(), c.target()}));
        try (GradientSession g = GradientSession.open()) {
            MendEditor.Factors f = editor.factors(base, eb, g);
            for (int i = 0; i < net.targets().size(); i++) {
                net.observe(net.targets().get(i), f.u()[i], f.delta()[i], f.tokens()[i]);
            }
            if (!net.normalisable()) {
                return new double[] {Double.NaN, f.nll(), Double.NaN};
            }
            try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                Map<String, NDArray> p = net.arrays(m, true);
                NDArray[][] tf = editor.transform(m, p, f);
                Hooks edited = base.hooks().with(MendEditor.edited(net.targets(), tf, p.get("edit_lrs"), 1f));
                ForwardResult post = lm.model().forward(m, base.weights(), eb.input(), edited, null);
                NDArray lEdit = MendEditor.nll(m, post, eb);
                NDArray total = lEdit.mul((float) hp.cedit());
                double klValue = 0;
                if (!c.locality().isEmpty() && hp.cloc() > 0) {
                    ForwardInput loc = editor.sequences(c.locality());
                    NDArray pre = lm.model().forward(m, base.weights(), loc, base.hooks(), null).logits()
                            .toType(DataType.FLOAT32, false).logSoftmax(-1).stopGradient();
                    NDArray postLoc = lm.model().forward(m, base.weights(), loc, edited, null).logits()
                            .toType(DataType.FLOAT32, false).logSoftmax(-1);
                    NDArray lLoc = kl(m, pre, postLoc, loc);
                    klValue = lLoc.getFloat();
                    total = total.add(lLoc.mul((float) hp.cloc()));
                }
                double lossValue = total.getFloat();
                if (!Double.isFinite(lossValue)) {
                    throw new IllegalStateException("MEND training diverged at step " + net.steps() + " (loss " + lossValue
                            + "); lower lr or lr_lr");
                }
                g.backward(total.div((float) accumulate));
                for (Map.Entry<String, NDArray> e : p.entrySet()) {
                    NDArray grad = e.getValue().getGradient();
                    float[] gv = grad.toFloatArray();
                    float[] acc = grads.get(e.getKey());
                    for (int k = 0; k < acc.length; k++) {
                        acc[k] += gv[k];
                    }
                }
                return new double[] {lossValue, lEdit.getFloat(), klValue};
            }
        }
    }

    /** KL(pre ‖ post) per position, mean over the real tokens (EasyEdit's kl_loc_loss). */
    private static NDArray kl(NDManager m, NDArray pre, NDArray post, ForwardInput in) {
        float[] mask = new float[in.batchSize() * in.length()];
        float count = 0;
        for (int b = 0; b < in.batchSize(); b++) {
            for (int j = 0; j < in.length(); j++) {
                mask[b * in.length() + j] = in.mask()[b][j];
                count += in.mask()[b][j];
            }
        }
        NDArray perPos = pre.exp().mul(pre.sub(post)).sum(new int[] {-1});
        return perPos.mul(m.create(mask, new Shape(in.batchSize(), in.length()))).sum().div(count);
    }

    /** Clips the summed gradient to grad_clip (over every trainable value), steps Adam and zeroes the sums. */
    private static void adam(Map<String, float[]> params, Map<String, float[]> grads, Map<String, Adam> adam, MendHyperParams hp) {
        double sq = 0;
        for (float[] g : grads.values()) {
            for (float x : g) {
                sq += (double) x * x;
            }
        }
        double norm = Math.sqrt(sq);
        float clip = (float) (norm > hp.gradClip() ? hp.gradClip() / (norm + 1e-6) : 1);
        for (Map.Entry<String, float[]> e : params.entrySet()) {
            float[] g = grads.get(e.getKey());
            for (int k = 0; k < g.length; k++) {
                g[k] *= clip;
            }
            adam.get(e.getKey()).step(e.getValue(), g);
            java.util.Arrays.fill(g, 0f);
        }
    }

    /**
     * Edits the unedited model with {@code net} for each case, alone, and measures the edit success
     * (share of target tokens that are the argmax, teacher-forced), the locality (share of the locality
     * sequences' next-token argmaxes unchanged) and the post-edit NLL; the statistics are not updated.
     */
    public Validation validate(MendNetwork net, List<Case> cases) {
        MendEditor editor = new MendEditor(lm, net);
        double es = 0;
        double loc = 0;
        double nll = 0;
        int locCases = 0;
        for (Case c : cases) {
            MendEditor.Batch eb = editor.batch(List.<String[]>of(new String[] {c.prompt(), c.target()}));
            MendEditor.Factors f;
            try (GradientSession g = GradientSession.open()) {
                f = editor.factors(base, eb, g);
            }
            try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                Map<String, NDArray> p = net.arrays(m, false);
                Hooks edited = base.hooks().with(MendEditor.edited(net.targets(), editor.transform(m, p, f), p.get("edit_lrs"), 1f));
                ForwardResult post = lm.model().forward(m, base.weights(), eb.input(), edited, null);
                es += MendEditor.accuracy(post, eb);
                nll += MendEditor.nll(m, post, eb).getFloat();
                if (!c.locality().isEmpty()) {
                    ForwardInput in = editor.sequences(c.locality());
                    long[] before = lm.model().forward(m, base.weights(), in, base.hooks(), null).logits().argMax(-1)
                            .toType(DataType.INT64, false).toLongArray();
                    long[] after = lm.model().forward(m, base.weights(), in, edited, null).logits().argMax(-1)
                            .toType(DataType.INT64, false).toLongArray();
                    double same = 0;
                    double count = 0;
                    for (int b = 0; b < in.batchSize(); b++) {
                        for (int j = 0; j < in.length(); j++) {
                            if (in.mask()[b][j] == 1) {
                                count++;
                                same += before[b * in.length() + j] == after[b * in.length() + j] ? 1 : 0;
                            }
                        }
                    }
                    loc += same / count;
                    locCases++;
                }
            }
        }
        int n = Math.max(1, cases.size());
        return new Validation(es / n, locCases == 0 ? Double.NaN : loc / locCases, nll / n);
    }
}
