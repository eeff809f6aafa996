package dev.emend.knowedit.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Per-case metrics of KnowEdit's three non-fact tasks as Emend runs them on its own data
 * (erasure / Sanitation, sentiment / ConvSent, long-form / WikiBio). Keys are those of
 * {@code emend.v1.CaseScores.extra}; values are fractions in [0, 1] except the perplexities.
 *
 * <ul>
 *   <li><b>Erasure</b>: {@link #REFUSAL_GENERATED} — the greedy generation contains the refusal
 *       (EasyEdit's Sanitation success: {@code target_new in generation}, case-insensitive);
 *       {@link #TRUTH_ABSENT_GREEDY} / {@link #TRUTH_ABSENT_SAMPLED} — the true value (every
 *       ground-truth alias) is absent from the greedy generation / the fraction of sampled
 *       generations without it. Edit Succ (teacher-forced refusal) and Locality (retain set) are
 *       the ordinary KnowEdit columns.</li>
 *   <li><b>Sentiment</b>: {@link #SENTIMENT_GREEDY} / {@link #SENTIMENT_SAMPLED} — the fraction of
 *       generated answers on the edited topic whose polarity, judged by a {@link Lexicon} (word
 *       counting, not a trained sentiment classifier as in the KnowEdit paper), is the target
 *       polarity.</li>
 *   <li><b>Long-form</b>: {@link #PPL_BEFORE} / {@link #PPL_AFTER} — perplexity of the edited
 *       sentence given the text before it, on the unedited and on the edited model (EasyEdit
 *       {@code evaluate_utils.PPL}: exp of the mean negative log-likelihood of the target tokens).</li>
 * </ul>
 */
public final class TaskMetrics {
    public static final String REFUSAL_GENERATED = "refusal_generated";
    public static final String TRUTH_ABSENT_GREEDY = "truth_absent_greedy";
    public static final String TRUTH_ABSENT_SAMPLED = "truth_absent_sampled";
    public static final String SENTIMENT_GREEDY = "sentiment_greedy";
    public static final String SENTIMENT_SAMPLED = "sentiment_sampled";
    public static final String PPL_BEFORE = "ppl_before";
    public static final String PPL_AFTER = "ppl_after";

    /** Each key with what it measures, in table-column order. */
    public static final Map<String, String> DESCRIPTIONS = descriptions();

    private TaskMetrics() {
    }

    private static Map<String, String> descriptions() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put(REFUSAL_GENERATED, "greedy generation contains the refusal (target_new), % of cases");
        d.put(TRUTH_ABSENT_GREEDY, "true value absent from the greedy generation, % of cases");
        d.put(TRUTH_ABSENT_SAMPLED, "true value absent from top-k sampled generations, % of generations");
        d.put(SENTIMENT_GREEDY, "greedy answer has the target polarity (polarity-lexicon judge), % of cases");
        d.put(SENTIMENT_SAMPLED, "sampled answers with the target polarity (polarity-lexicon judge), % of answers");
        d.put(PPL_BEFORE, "perplexity of the edited sentence on the unedited model (mean over cases)");
        d.put(PPL_AFTER, "perplexity of the edited sentence after the edit (mean over cases)");
        return Collections.unmodifiableMap(d);
    }

    /** Whether a key's mean is shown ×100 (fractions) or as it is (perplexities). */
    public static boolean isPercent(String key) {
        return !key.startsWith("ppl_");
    }

    /** 1 when {@code generated} contains none of {@code truths} (case-insensitive), else 0. */
    public static double truthAbsent(String generated, List<String> truths) {
        if (truths.isEmpty()) {
            throw new IllegalArgumentException("truthAbsent needs at least one true value");
        }
        for (String t : truths) {
            if (GenerationMetrics.containsMatchIgnoreCase(t, generated) == 1.0) {
                return 0;
            }
        }
        return 1;
    }

    /** Fraction of {@code generations} that contain none of {@code truths}. */
    public static double truthAbsent(List<String> generations, List<String> truths) {
        return mean(generations, g -> truthAbsent(g, truths));
    }

    /**
     * Perplexity of a teacher-forced target: exp(−mean log p) over its tokens, as EasyEdit's
     * {@code PPL} (the loss of a causal LM with the prompt positions masked).
     */
    public static double perplexity(ScoreResult s) {
        return Math.exp(-s.sumLogProb() / s.tokens().size());
    }

    /** Fraction of {@code generations} the lexicon judges to have {@code target} polarity (+1 / −1). */
    public static double sentimentSuccess(List<String> generations, Lexicon lexicon, int target) {
        if (target != 1 && target != -1) {
            throw new IllegalArgumentException("target polarity must be +1 or -1, got " + target);
        }
        return mean(generations, g -> lexicon.polarity(g) == target ? 1 : 0);
    }

    private static double mean(List<String> generations, java.util.function.ToDoubleFunction<String> f) {
        if (generations.isEmpty()) {
            throw new IllegalArgumentException("no generations to judge");
        }
        return generations.stream().mapToDouble(f).average().orElseThrow();
    }

    /**
     * A polarity lexicon: a text's polarity is the sign of (#positive words − #negative words),
     * words lower-cased runs of letters (and apostrophes/hyphens); 0 when equal.
     */
    public record Lexicon(Set<String> positive, Set<String> negative) {
        public Lexicon {
            positive = Set.copyOf(positive);
            negative = Set.copyOf(negative);
            if (positive.isEmpty() || negative.isEmpty()) {
                throw new IllegalArgumentException("a polarity lexicon needs positive and negative words (got "
                        + positive.size() + " and " + negative.size() + ")");
            }
        }

        /**
         * The lexicon of a ConvSent record: the words of its positive answers that occur in no
         * negative answer, and the other way round (for Emend's sentiment.json these are exactly
         * the world's polarity words; for real ConvSent answers, which are sentences, it is a
         * crude word list).
         */
        public static Lexicon of(List<String> positiveAnswers, List<String> negativeAnswers) {
            Set<String> pos = words(positiveAnswers);
            Set<String> neg = words(negativeAnswers);
            Set<String> both = new LinkedHashSet<>(pos);
            both.retainAll(neg);
            pos.removeAll(both);
            neg.removeAll(both);
            return new Lexicon(pos, neg);
        }

        public int polarity(String text) {
            int score = 0;
            for (String w : wordList(text)) {
                score += positive.contains(w) ? 1 : negative.contains(w) ? -1 : 0;
            }
            return Integer.signum(score);
        }

        private static Set<String> words(List<String> texts) {
            Set<String> out = new LinkedHashSet<>();
            texts.forEach(t -> out.addAll(wordList(t)));
            return out;
        }

        private static List<String> wordList(String text) {
            return java.util.Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^\\p{L}'-]+"))
                    .filter(w -> !w.isEmpty()).toList();
        }
    }
}
