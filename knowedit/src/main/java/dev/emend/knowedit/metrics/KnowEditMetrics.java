package dev.emend.knowedit.metrics;

import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Per-case teacher-forced metrics, computed as EasyEdit computes them. All results are fractions
 * in [0, 1]; tables multiply by 100. Pure functions.
 *
 * <ul>
 *   <li>{@link #tokenAccuracy}: {@code easyeditor/evaluate/evaluate_utils.py: test_prediction_acc}
 *       (eval_metric "token_em"): argmax of the logits at positions prompt_len-1 .. end-1 compared
 *       with the tokens of {@code prompt + ' ' + target} at prompt_len .. end; the mean of the
 *       matches. A ScoreResult already holds exactly these argmax/target pairs.</li>
 *   <li>{@link #rewriteAcc} / {@link #rephraseAcc}: {@code evaluate.py: compute_rewrite_or_rephrase_quality}.</li>
 *   <li>{@link #portability}: {@code compute_portability_quality} gives one accuracy per item of a
 *       key; the KnowEdit summary (examples/KnowEdit.md eval / run_knowedit_llama2 "Overall_portability")
 *       takes the mean over items of each key, then the mean over keys, per case; cases without
 *       portability are skipped (empty result here).</li>
 *   <li>{@link #locality}: {@code compute_locality_quality} returns the argmax ids at the answer
 *       positions (locality=True); {@code BaseEditor.edit} then takes
 *       {@code np.mean(np.equal(pre_output, post_output))} per item, pre from the unedited model.
 *       Same per-case aggregation as portability.</li>
 * </ul>
 */
public final class KnowEditMetrics {
    private KnowEditMetrics() {
    }

    /** Fraction of target tokens whose argmax equals the target token. */
    public static double tokenAccuracy(ScoreResult s) {
        long hit = s.tokens().stream().filter(TokenScore::correct).count();
        return (double) hit / s.tokens().size();
    }

    /** Edit Succ of one case: token accuracy of {@code prompt + " " + target_new}. */
    public static double rewriteAcc(ScoreResult rewrite) {
        return tokenAccuracy(rewrite);
    }

    /**
     * Generalization of one case: mean token accuracy over its rephrase prompts (KnowEdit has one
     * per case; several are averaged, as the proto documents). Empty when the case has none.
     */
    public static OptionalDouble rephraseAcc(List<ScoreResult> rephrases) {
        return rephrases.stream().mapToDouble(KnowEditMetrics::tokenAccuracy).average();
    }

    /** Portability of one case: mean over keys of (mean over the key's items of token accuracy). */
    public static OptionalDouble portability(Map<String, List<ScoreResult>> byKey) {
        return byKey.values().stream()
                .filter(items -> !items.isEmpty())
                .mapToDouble(items -> items.stream().mapToDouble(KnowEditMetrics::tokenAccuracy).average().orElseThrow())
                .average();
    }

    /**
     * Locality of one probe: fraction of answer positions where the argmax token after the edit
     * equals the argmax token before it. Not compared with the ground truth.
     *
     * @throws IllegalArgumentException when {@code pre} was not scored on an unedited model, when
     *         pre and post come from different base models, or when they scored different token
     *         sequences (the positions would not correspond)
     */
    public static double locality(LocalityPair p) {
        ScoreResult pre = p.pre();
        ScoreResult post = p.post();
        if (!pre.version().unedited()) {
            throw new IllegalArgumentException("locality 'pre' score of '" + pre.prompt() + "' comes from space "
                    + pre.version().space() + " at sequence " + pre.version().sequence()
                    + ", an edited state; take the pre-edit argmax from the unedited model (sequence 0)");
        }
        if (!pre.version().baseFingerprint().equals(post.version().baseFingerprint())) {
            throw new IllegalArgumentException("locality pre and post scores of '" + pre.prompt()
                    + "' come from different base models (" + pre.version().baseFingerprint() + " vs "
                    + post.version().baseFingerprint() + ")");
        }
        if (!pre.targetIds().equals(post.targetIds())) {
            throw new IllegalArgumentException("locality pre and post scores of '" + pre.prompt()
                    + "' cover different answer tokens " + pre.targetIds() + " vs " + post.targetIds()
                    + "; score the same prompt + ground truth with the same tokenizer");
        }
        List<Integer> a = pre.argmaxIds();
        List<Integer> b = post.argmaxIds();
        int same = 0;
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals(b.get(i))) {
                same++;
            }
        }
        return (double) same / a.size();
    }

    /** Locality of one case: mean over keys of (mean over the key's probes of {@link #locality(LocalityPair)}). */
    public static OptionalDouble locality(Map<String, List<LocalityPair>> byKey) {
        return byKey.values().stream()
                .filter(items -> !items.isEmpty())
                .mapToDouble(items -> items.stream().mapToDouble(KnowEditMetrics::locality).average().orElseThrow())
                .average();
    }
}
