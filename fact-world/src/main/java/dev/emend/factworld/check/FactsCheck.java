package dev.emend.factworld.check;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreItem;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.factworld.world.EvalSets;
import java.util.List;
import java.util.function.Consumer;

/**
 * The default model's three quality figures, for any checkpoint and fact set: teacher-forced
 * token accuracy on the object of every fact in every template ({@code fact recall}), on a
 * counterfactual object stated in a {@code "New fact: "} context ({@code in-context update}),
 * and on the true object after an unrelated new fact ({@code context robustness}); for a
 * generation-2 world also on the object of every fact under every held-out paraphrase, templates the
 * training corpus never used ({@code held-out paraphrase recall}).
 */
public final class FactsCheck {
    /** Percentages (0–100) and item counts. */
    public record Report(double recall, double inContext, double robustness, int recallItems, int inContextItems,
                         int robustnessItems, double recallExact, double inContextExact, double robustnessExact,
                         double heldOut, int heldOutItems, double heldOutExact) {
        /** The figures, one a line; the held-out line only where the world has held-out paraphrases. */
        public String lines() {
            String base = String.format(java.util.Locale.ROOT, "fact recall: %.1f %%%nin-context update: %.1f %%%ncontext robustness: %.1f %%",
                    recall, inContext, robustness);
            return heldOutItems == 0 ? base : base + String.format(java.util.Locale.ROOT,
                    "%nheld-out paraphrase recall: %.1f %% (exact %.1f %%)", heldOut, heldOutExact);
        }
    }

    private FactsCheck() {
    }

    public static Report run(LanguageModel lm, EvalSets sets, int limit, Consumer<String> progress) {
        double[] recall = score(lm, cap(sets.recall(), limit), "fact recall", progress);
        double[] ctx = score(lm, cap(sets.inContext(), limit), "in-context update", progress);
        double[] rob = score(lm, cap(sets.robustness(), limit), "context robustness", progress);
        List<ScoreItem> held = cap(sets.heldOut(), limit);
        double[] h = held.isEmpty() ? new double[] {Double.NaN, Double.NaN} : score(lm, held, "held-out paraphrase recall", progress);
        return new Report(recall[0], ctx[0], rob[0], cap(sets.recall(), limit).size(), cap(sets.inContext(), limit).size(),
                cap(sets.robustness(), limit).size(), recall[1], ctx[1], rob[1], h[0], held.size(), h[1]);
    }

    /** Every n-th item so a limit still covers all relations. */
    static List<ScoreItem> cap(List<ScoreItem> items, int limit) {
        if (limit <= 0 || items.size() <= limit) {
            return items;
        }
        double stride = items.size() / (double) limit;
        return java.util.stream.IntStream.range(0, limit).mapToObj(i -> items.get((int) (i * stride))).toList();
    }

    /** Mean token accuracy and exact-match rate, in percent. */
    static double[] score(LanguageModel lm, List<ScoreItem> items, String label, Consumer<String> progress) {
        ModelView view = lm.baseView();
        double acc = 0;
        int exact = 0;
        int chunk = 256;
        for (int from = 0; from < items.size(); from += chunk) {
            List<ScoreResult> rs = lm.scoreBatch(view, items.subList(from, Math.min(items.size(), from + chunk)));
            for (ScoreResult r : rs) {
                acc += r.tokenAccuracy();
                exact += r.allCorrect() ? 1 : 0;
            }
            progress.accept(String.format(java.util.Locale.ROOT, "%s: %d/%d", label, Math.min(items.size(), from + chunk), items.size()));
        }
        return new double[] {100 * acc / items.size(), 100.0 * exact / items.size()};
    }
}
