package dev.emend.knowedit.metrics;

import java.util.List;
import java.util.Locale;

/**
 * Generation-based scores, reported beside the teacher-forced ones (teacher forcing feeds the
 * gold prefix and so overstates success for multi-token targets).
 *
 * <ul>
 *   <li>{@link #tokenAccuracy}: EasyEdit {@code test_prediction_acc(..., vanilla_generation=True)}:
 *       greedily generate {@code len(target_ids)} new tokens from the prompt and take
 *       {@code np.mean(np.equal(target_ids, generated[-len(target_ids):]))}. Positions the model did
 *       not generate (it stopped early) count as misses.</li>
 *   <li>{@link #exactMatch}: 1 when every target token was generated in order, else 0 (EasyEdit's
 *       {@code token_em_lm_eval} rule {@code np.all(np.equal(...))} applied to the greedy generation).</li>
 *   <li>{@link #containsMatch}: EasyEdit {@code string_em}: 1 when the target string occurs in the
 *       generated continuation (prompt stripped), else 0.</li>
 * </ul>
 */
public final class GenerationMetrics {
    private GenerationMetrics() {
    }

    /** Fraction of target positions where the greedily generated token equals the target token. */
    public static double tokenAccuracy(List<Integer> targetIds, List<Integer> generatedIds) {
        requireTarget(targetIds);
        int hit = 0;
        for (int i = 0; i < targetIds.size(); i++) {
            if (i < generatedIds.size() && targetIds.get(i).equals(generatedIds.get(i))) {
                hit++;
            }
        }
        return (double) hit / targetIds.size();
    }

    /** 1.0 when the generation starts with the whole target token sequence, else 0.0. */
    public static double exactMatch(List<Integer> targetIds, List<Integer> generatedIds) {
        requireTarget(targetIds);
        return generatedIds.size() >= targetIds.size()
                && generatedIds.subList(0, targetIds.size()).equals(targetIds) ? 1.0 : 0.0;
    }

    /** 1.0 when {@code target} occurs in {@code continuation} (case-sensitive, as EasyEdit's string_em), else 0.0. */
    public static double containsMatch(String target, String continuation) {
        return continuation.strip().contains(target) ? 1.0 : 0.0;
    }

    /** Case-insensitive variant (Sanitation's rule). */
    public static double containsMatchIgnoreCase(String target, String continuation) {
        return continuation.toLowerCase(Locale.ROOT).contains(target.toLowerCase(Locale.ROOT)) ? 1.0 : 0.0;
    }

    private static void requireTarget(List<Integer> targetIds) {
        if (targetIds.isEmpty()) {
            throw new IllegalArgumentException("target has no tokens");
        }
    }
}
