package dev.emend.mastery.probe;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.emend.core.edit.KnowEditCases;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreResult;
import java.util.ArrayList;
import java.util.List;

/**
 * The single-edit measurement the probes share: for each KnowEdit case, edit a fresh overlay,
 * then score Edit Succ (prompt), Generalization (rephrase_prompt) and Locality (argmax agreement
 * with the unedited model on the locality prompts), EasyEdit's teacher-forced definitions. The
 * evaluation service will own the full protocol; this is the quick developer's check.
 */
public final class SingleEditProbe {
    /** Applies one edit to the overlay; returns method-specific figures to average (steps, ...). */
    @FunctionalInterface
    public interface Edit {
        double[] apply(OverlayWeights overlay, String prompt, String subject, String target);
    }

    /** Means ×100 (accuracies) over the cases, seconds per edit, and the means of the edit's figures. */
    public record Row(double editSucc, double generalization, double locality, double preEdit, double secondsPerEdit,
                      double[] extras) {}

    private SingleEditProbe() {
    }

    public static Row run(LanguageModel lm, JsonArray cases, int n, int extras, Edit edit) {
        double succ = 0;
        double gen = 0;
        double loc = 0;
        double pre = 0;
        double seconds = 0;
        double[] extra = new double[extras];
        int locCases = 0;
        for (int i = 0; i < n; i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            String prompt = c.get("prompt").getAsString();
            String subject = c.has("subject") ? c.get("subject").getAsString() : null;
            String target = c.get("target_new").getAsString();
            Baseline base = baseline(lm, c);
            pre += base.preEdit();
            try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
                long t0 = System.nanoTime();
                double[] figures = edit.apply(overlay, prompt, subject, target);
                seconds += (System.nanoTime() - t0) / 1e9;
                for (int k = 0; k < extras; k++) {
                    extra[k] += figures[k];
                }
                CaseScore s = score(lm, new ModelView(overlay, Hooks.NONE), c, base);
                succ += s.editSucc();
                gen += Double.isNaN(s.generalization()) ? 0 : s.generalization();
                if (!Double.isNaN(s.locality())) {
                    loc += s.locality();
                    locCases++;
                }
            }
        }
        for (int k = 0; k < extras; k++) {
            extra[k] /= n;
        }
        return new Row(100 * succ / n, 100 * gen / n, locCases == 0 ? Double.NaN : 100 * loc / locCases, 100 * pre / n,
                seconds / n, extra);
    }

    /** Applies all the edits of a batch to the overlay at once; returns figures to report. */
    @FunctionalInterface
    public interface BatchEdit {
        double[] apply(OverlayWeights overlay, List<String> prompts, List<String> subjects, List<String> targets);
    }

    /**
     * The batch measurement: the first {@code n} cases as ONE edit of a fresh overlay, then every
     * case scored on it (Locality against the unedited model, as in single mode). Seconds per edit
     * is the batch's time over n; the extras are the batch's figures, not averaged.
     */
    public static Row runBatch(LanguageModel lm, JsonArray cases, int n, BatchEdit edit) {
        List<String> prompts = new ArrayList<>();
        List<String> subjects = new ArrayList<>();
        List<String> targets = new ArrayList<>();
        List<Baseline> bases = new ArrayList<>();
        double pre = 0;
        for (int i = 0; i < n; i++) {
            JsonObject c = cases.get(i).getAsJsonObject();
            prompts.add(c.get("prompt").getAsString());
            subjects.add(c.has("subject") ? c.get("subject").getAsString() : null);
            targets.add(c.get("target_new").getAsString());
            Baseline b = baseline(lm, c);
            bases.add(b);
            pre += b.preEdit();
        }
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            long t0 = System.nanoTime();
            double[] figures = edit.apply(overlay, prompts, subjects, targets);
            double seconds = (System.nanoTime() - t0) / 1e9;
            double succ = 0;
            double gen = 0;
            double loc = 0;
            int locCases = 0;
            ModelView view = new ModelView(overlay, Hooks.NONE);
            for (int i = 0; i < n; i++) {
                CaseScore s = score(lm, view, cases.get(i).getAsJsonObject(), bases.get(i));
                succ += s.editSucc();
                gen += Double.isNaN(s.generalization()) ? 0 : s.generalization();
                if (!Double.isNaN(s.locality())) {
                    loc += s.locality();
                    locCases++;
                }
            }
            return new Row(100 * succ / n, 100 * gen / n, locCases == 0 ? Double.NaN : 100 * loc / locCases,
                    100 * pre / n, seconds / n, figures);
        }
    }

    /**
     * What a case is compared against, taken on the unedited model: Edit Succ of target_new
     * before the edit, and the base model's scores on the locality pairs.
     */
    public record Baseline(double preEdit, List<String[]> locality, List<ScoreResult> localityBase) {}

    /** One case's scores as fractions in [0, 1]; generalization / locality NaN when the case has none. */
    public record CaseScore(double editSucc, double generalization, double locality) {}

    public static Baseline baseline(LanguageModel lm, JsonObject c) {
        String prompt = c.get("prompt").getAsString();
        String target = c.get("target_new").getAsString();
        double pre = lm.score(lm.baseView(), prompt, target).tokenAccuracy();
        List<String[]> locality = KnowEditCases.localityPairs(c);
        List<ScoreResult> locBase = new ArrayList<>();
        for (String[] p : locality) {
            locBase.add(lm.score(lm.baseView(), p[0], p[1]));
        }
        return new Baseline(pre, locality, locBase);
    }

    /**
     * Scores case {@code c} on the edited {@code view}: Edit Succ and Generalization are the
     * teacher-forced token accuracy of target_new after prompt / rephrase_prompt; Locality the
     * share of locality-answer positions whose argmax agrees with the unedited model's.
     */
    public static CaseScore score(LanguageModel lm, ModelView view, JsonObject c, Baseline base) {
        String prompt = c.get("prompt").getAsString();
        String target = c.get("target_new").getAsString();
        double succ = lm.score(view, prompt, target).tokenAccuracy();
        double gen = Double.NaN;
        if (c.has("rephrase_prompt") && !c.get("rephrase_prompt").isJsonNull()) {
            gen = lm.score(view, c.get("rephrase_prompt").getAsString(), target).tokenAccuracy();
        }
        double loc = Double.NaN;
        List<String[]> locality = base.locality();
        if (!locality.isEmpty()) {
            double agree = 0;
            for (int j = 0; j < locality.size(); j++) {
                int[] a = lm.score(view, locality.get(j)[0], locality.get(j)[1]).argmaxIds();
                int[] b = base.localityBase().get(j).argmaxIds();
                agree += KnowEditCases.argmaxAgreement(a, b);
            }
            loc = agree / locality.size();
        }
        return new CaseScore(succ, gen, loc);
    }
}
