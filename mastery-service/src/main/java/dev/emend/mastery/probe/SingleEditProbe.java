package dev.emend.mastery.probe;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    /** Command-line arguments of a probe: positional values and {@code --key=value} options. */
    public record Args(List<String> positional, Map<String, String> options) {}

    /**
     * Splits {@code args} into positional values and {@code --key[=value]} options; prints the
     * usage and exits with 2 unless exactly {@code positional} values were given.
     */
    public static Args parse(String[] args, int positional, String usage) {
        List<String> pos = new ArrayList<>();
        Map<String, String> opt = new java.util.HashMap<>();
        for (String a : args) {
            if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                opt.put(eq < 0 ? a.substring(2) : a.substring(2, eq), eq < 0 ? "true" : a.substring(eq + 1));
            } else {
                pos.add(a);
            }
        }
        if (pos.size() != positional) {
            System.err.println("usage: " + usage);
            System.exit(2);
        }
        return new Args(pos, opt);
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
            pre += lm.score(lm.baseView(), prompt, target).tokenAccuracy();
            List<String[]> locality = localityPairs(c);
            List<ScoreResult> locBase = new ArrayList<>();
            for (String[] p : locality) {
                locBase.add(lm.score(lm.baseView(), p[0], p[1]));
            }
            try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
                long t0 = System.nanoTime();
                double[] figures = edit.apply(overlay, prompt, subject, target);
                seconds += (System.nanoTime() - t0) / 1e9;
                for (int k = 0; k < extras; k++) {
                    extra[k] += figures[k];
                }
                ModelView view = new ModelView(overlay, Hooks.NONE);
                succ += lm.score(view, prompt, target).tokenAccuracy();
                if (c.has("rephrase_prompt") && !c.get("rephrase_prompt").isJsonNull()) {
                    gen += lm.score(view, c.get("rephrase_prompt").getAsString(), target).tokenAccuracy();
                }
                if (!locality.isEmpty()) {
                    double agree = 0;
                    for (int j = 0; j < locality.size(); j++) {
                        int[] a = lm.score(view, locality.get(j)[0], locality.get(j)[1]).argmaxIds();
                        int[] b = locBase.get(j).argmaxIds();
                        int same = 0;
                        for (int t = 0; t < a.length; t++) {
                            same += a[t] == b[t] ? 1 : 0;
                        }
                        agree += (double) same / a.length;
                    }
                    loc += agree / locality.size();
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

    /** Every (prompt, ground_truth) under the case's locality keys (KnowEdit: Relation_Specificity...). */
    public static List<String[]> localityPairs(JsonObject c) {
        List<String[]> out = new ArrayList<>();
        if (!c.has("locality") || !c.get("locality").isJsonObject()) {
            return out;
        }
        for (Map.Entry<String, JsonElement> e : c.getAsJsonObject("locality").entrySet()) {
            if (!e.getValue().isJsonArray()) {
                continue;
            }
            for (JsonElement item : e.getValue().getAsJsonArray()) {
                JsonObject o = item.getAsJsonObject();
                JsonElement gt = o.get("ground_truth");
                String truth = gt.isJsonArray() ? gt.getAsJsonArray().get(0).getAsString() : gt.getAsString();
                out.add(new String[] {o.get("prompt").getAsString(), truth});
            }
        }
        return out;
    }
}
