package dev.emend.knowedit.metrics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every expected number below is worked out by hand in the comment next to it. */
class MetricsTest {
    static final double EPS = 1e-9;
    static final String FP = "ab12cd34ef56";
    static final ModelVersion BASE = ModelVersion.base(FP);
    static final ModelVersion EDITED = new ModelVersion("scratch-1", 3, FP);

    /** A score whose target ids are {@code target} and whose argmax ids are {@code argmax}. */
    static ScoreResult score(ModelVersion v, int[] target, int[] argmax, double... logProbs) {
        List<TokenScore> t = new ArrayList<>();
        for (int i = 0; i < target.length; i++) {
            t.add(TokenScore.of(i, target[i], argmax[i], logProbs.length > i ? logProbs[i] : -1.0));
        }
        return new ScoreResult("p", "t", "p", 3, t, v);
    }

    static int[] ids(int... x) {
        return x;
    }

    @Test
    void tokenAccuracyIsFractionOfArgmaxHits() {
        // target [10,11,12,13], argmax [10,99,12,98]: hits at 0 and 2 -> 2/4 = 0.5
        ScoreResult s = score(EDITED, ids(10, 11, 12, 13), ids(10, 99, 12, 98));
        assertEquals(0.5, KnowEditMetrics.rewriteAcc(s), EPS);
        assertEquals(0.5, s.tokenAccuracy(), EPS);
        assertThrows(IllegalArgumentException.class, () -> score(EDITED, ids(), ids()));
    }

    @Test
    void rephraseIsMeanOverRephrasePrompts() {
        // accuracies 1 (1/1) and 1/3 -> (1 + 1/3) / 2 = 2/3
        ScoreResult a = score(EDITED, ids(1), ids(1));
        ScoreResult b = score(EDITED, ids(1, 2, 3), ids(1, 0, 0));
        assertEquals(2.0 / 3.0, KnowEditMetrics.rephraseAcc(List.of(a, b)).orElseThrow(), EPS);
        assertTrue(KnowEditMetrics.rephraseAcc(List.of()).isEmpty());
    }

    @Test
    void portabilityIsMeanOverKeysOfMeanOverItems() {
        // Reasoning: items 1/2 and 2/2 -> 0.75; Subject_Aliasing: one item 0/1 -> 0.
        // per case = (0.75 + 0) / 2 = 0.375   (pooling the 3 items would give (0.5+1+0)/3 = 0.5)
        Map<String, List<ScoreResult>> p = new LinkedHashMap<>();
        p.put("Reasoning", List.of(score(EDITED, ids(1, 2), ids(1, 0)), score(EDITED, ids(3, 4), ids(3, 4))));
        p.put("Subject_Aliasing", List.of(score(EDITED, ids(5), ids(6))));
        assertEquals(0.375, KnowEditMetrics.portability(p).orElseThrow(), EPS);
        // a case without portability items is skipped (empty), not scored 0
        assertTrue(KnowEditMetrics.portability(Map.of()).isEmpty());
        assertTrue(KnowEditMetrics.portability(Map.of("Reasoning", List.of())).isEmpty());
    }

    @Test
    void localityComparesPreAndPostArgmaxNotGroundTruth() {
        // KnowEdit's own example: pre argmax [29,234,334], post [29,234,333] -> 2/3 = 66.67 in tables.
        // The answer ids [7,8,9] never match either argmax: ground truth plays no part.
        ScoreResult pre = score(BASE, ids(7, 8, 9), ids(29, 234, 334));
        ScoreResult post = score(EDITED, ids(7, 8, 9), ids(29, 234, 333));
        assertEquals(2.0 / 3.0, KnowEditMetrics.locality(new LocalityPair(pre, post)), EPS);
        // unchanged predictions give 1 even though both are "wrong" against the ground truth
        assertEquals(1.0, KnowEditMetrics.locality(new LocalityPair(pre, score(EDITED, ids(7, 8, 9), ids(29, 234, 334)))), EPS);
    }

    @Test
    void localityPreMustComeFromTheUneditedModel() {
        ScoreResult preFromEdited = score(new ModelVersion("scratch-1", 2, FP), ids(7, 8), ids(1, 2));
        ScoreResult post = score(EDITED, ids(7, 8), ids(1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KnowEditMetrics.locality(new LocalityPair(preFromEdited, post)));
        assertTrue(e.getMessage().contains("unedited"), e.getMessage());
        // a scratch space at sequence 0 is unedited and is accepted
        assertEquals(1.0, KnowEditMetrics.locality(new LocalityPair(
                score(new ModelVersion("scratch-1", 0, FP), ids(7, 8), ids(1, 2)), post)), EPS);
        // different base model
        assertThrows(IllegalArgumentException.class, () -> KnowEditMetrics.locality(new LocalityPair(
                score(ModelVersion.base("other"), ids(7, 8), ids(1, 2)), post)));
        // different answer tokens: positions would not correspond
        assertThrows(IllegalArgumentException.class, () -> KnowEditMetrics.locality(new LocalityPair(
                score(BASE, ids(7, 9), ids(1, 2)), post)));
    }

    @Test
    void caseLocalityIsMeanOverKeysOfMeanOverProbes() {
        // Relation_Specificity: probes 1/2 and 1 -> 0.75; Forgetfulness: 0/1 -> 0; case = 0.375
        Map<String, List<LocalityPair>> m = new LinkedHashMap<>();
        m.put("Relation_Specificity", List.of(
                new LocalityPair(score(BASE, ids(1, 2), ids(5, 6)), score(EDITED, ids(1, 2), ids(5, 0))),
                new LocalityPair(score(BASE, ids(3), ids(7)), score(EDITED, ids(3), ids(7)))));
        m.put("Forgetfulness", List.of(
                new LocalityPair(score(BASE, ids(4), ids(8)), score(EDITED, ids(4), ids(9)))));
        assertEquals(0.375, KnowEditMetrics.locality(m).orElseThrow(), EPS);
    }

    @Test
    void tokenizerSplitsPunctuationAndClitics() {
        assertEquals(List.of("Hello", ",", "world", "!", "It", "'s", "the", "U.S.", "dog", "'s", "bone", "."),
                NGramEntropy.tokenize("Hello, world!  It's the U.S. dog's bone."));
        assertEquals(List.of("They", "do", "n't", "(", "really", ")", "care", "\"", "now", "\""),
                NGramEntropy.tokenize("They don't (really) care \"now\""));
    }

    @Test
    void fluencyWeightsBigramTwoThirdsAndTrigramFourThirds() {
        // "the cat the cat the dog": 6 tokens.
        // bigrams: the-cat x2, cat-the x2, the-dog x1 (5) -> f = .4 .4 .2
        //   H2 = 2 * .4 * log2(1/.4) + .2 * log2(1/.2) = .8 * 1.3219281 + .2 * 2.3219281 = 1.5219281
        // trigrams: the-cat-the x2, cat-the-cat x1, cat-the-dog x1 (4) -> f = .5 .25 .25
        //   H3 = .5 * 1 + 2 * .25 * 2 = 1.5
        // fluency = mean(2/3 * H2, 4/3 * H3) = (1.0146187 + 2.0) / 2 = 1.5073094 = H2/3 + 2*H3/3
        List<String> tok = NGramEntropy.tokenize("the cat the cat the dog");
        double h2 = 0.8 * Math.log(1 / 0.4) / Math.log(2) + 0.2 * Math.log(1 / 0.2) / Math.log(2);
        assertEquals(1.5219281, h2, 1e-7);
        assertEquals(h2, NGramEntropy.entropy(tok, 2), EPS);
        assertEquals(1.5, NGramEntropy.entropy(tok, 3), EPS);
        double f = NGramEntropy.of("the cat the cat the dog");
        assertEquals(h2 / 3 + 2 * 1.5 / 3, f, EPS);
        assertEquals(1.5073094, f, 1e-7);
        // swapped weights would give (4/3*H2 + 2/3*H3)/2 = 1.5146187: the test tells them apart
        assertFalse(Math.abs(f - (4.0 / 3 * h2 + 2.0 / 3 * 1.5) / 2) < 1e-4);
        // mean over texts: "a a a" has one bigram/trigram type -> H2 = H3 = 0 -> 0; mean = 1.5073094/2
        assertEquals(0.0, NGramEntropy.of("a a a"), EPS);
        assertEquals(f / 2, NGramEntropy.mean(List.of("the cat the cat the dog", "a a a")), EPS);
        // fewer tokens than n: entropy 0 (numpy sums an empty array to 0)
        assertEquals(0.0, NGramEntropy.of("word"), EPS);
    }

    @Test
    void generationScores() {
        // target [5,6,7], generated [5,6,8]: 2/3 of positions, not an exact match
        assertEquals(2.0 / 3.0, GenerationMetrics.tokenAccuracy(List.of(5, 6, 7), List.of(5, 6, 8)), EPS);
        assertEquals(0.0, GenerationMetrics.exactMatch(List.of(5, 6, 7), List.of(5, 6, 8)), EPS);
        assertEquals(1.0, GenerationMetrics.exactMatch(List.of(5, 6, 7), List.of(5, 6, 7, 9)), EPS);
        // stopped after one token: the two missing positions are misses -> 1/3
        assertEquals(1.0 / 3.0, GenerationMetrics.tokenAccuracy(List.of(5, 6, 7), List.of(5)), EPS);
        assertEquals(1.0, GenerationMetrics.containsMatch("Paris", "  the city of Paris, France"), EPS);
        assertEquals(0.0, GenerationMetrics.containsMatch("Paris", "paris"), EPS);
    }

    @Test
    void convSentEditSuccess() {
        // pos_edit -1, neg_edit -3, pos_pre -2: z_sent = sigmoid(2) = 0.8807971, z_topic = min(1, e^1) = 1
        assertEquals(0.8807971, ConvSentMetrics.editSuccess(-1, -3, -2), 1e-7);
        // pos_pre -0.5: z_topic = e^-0.5 = 0.6065307 -> 0.8807971 * 0.6065307 = 0.5342302
        assertEquals(1 / (1 + Math.exp(-2)) * Math.exp(-0.5), ConvSentMetrics.editSuccess(-1, -3, -0.5), EPS);
        // pooled mean: responses with token log-probs [-1,-3] and [-5] -> -9/3 = -3 (mean of means would be -3.5)
        ScoreResult r1 = score(EDITED, ids(1, 2), ids(1, 2), -1, -3);
        ScoreResult r2 = score(EDITED, ids(3), ids(3), -5);
        assertEquals(-3.0, ConvSentMetrics.pooledMeanLogProb(List.of(r1, r2)), EPS);
        // from scores: pos_edit = -3 (r1,r2), neg_edit = -4, pos_pre = -2 (unedited)
        //   z_sent = sigmoid(1) = 0.7310586, z_topic = min(1, e^-1) = 0.3678794 -> 0.2689414
        ScoreResult neg = score(EDITED, ids(4), ids(4), -4);
        ScoreResult pre = score(BASE, ids(1, 2), ids(1, 2), -2, -2);
        assertEquals(1 / (1 + Math.exp(-1)) * Math.exp(-1),
                ConvSentMetrics.editSuccess(List.of(r1, r2), List.of(neg), List.of(pre)), EPS);
        assertThrows(IllegalArgumentException.class,
                () -> ConvSentMetrics.editSuccess(List.of(r1), List.of(neg), List.of(r1)));
    }

    @Test
    void convSentLocalityIsMaskedKl() {
        // pre logits [0,0] -> p = (.5,.5); post logits [ln 3, 0] -> q = (.75,.25)
        // KL(p||q) = .5 ln(.5/.75) + .5 ln(.5/.25) = .5(-0.4054651) + .5(0.6931472) = 0.1438410
        float[] pre = {0f, 0f};
        float[] post = {(float) Math.log(3), 0f};
        double kl = ConvSentMetrics.klLocality(List.of(pre), List.of(post));
        assertEquals(0.1438410, kl, 1e-6);
        // second position unchanged (KL 0): mean over positions = 0.1438410 / 2
        assertEquals(kl / 2, ConvSentMetrics.klLocality(List.of(pre, pre), List.of(post, pre)), 1e-9);
    }

    @Test
    void sanitationSuccessAndLocality() {
        // 2 of 3 generations contain "i don't know." case-insensitively -> 2/3
        assertEquals(2.0 / 3.0, SanitationMetrics.success(
                List.of("I don't know. Really", "Birds are", "i DON'T know."),
                List.of("I don't know.", "I don't know.", "I don't know.")), EPS);
        // q0: cached [1,2,3,4] vs post [1,2,9]: agree at 0,1 -> 2/4; q1: cached [5] vs [5,6] -> 1/1
        // mean = (0.5 + 1) / 2 = 0.75
        assertEquals(0.75, SanitationMetrics.locality(List.of(List.of(1, 2, 9), List.of(5, 6)),
                List.of(List.of(1, 2, 3, 4), List.of(5))), EPS);
    }

    @Test
    void aggregateMeansOverCasesThatHaveEachMetric() {
        Protocol p = new Protocol(Protocol.Scoring.TEACHER_FORCED, Protocol.Mode.SINGLE, Protocol.ScoredAfter.EACH_EDIT,
                FP, Map.of("layers", List.of(3), "lr", 0.5));
        // rewrite 1, .5, 0 -> 50;  rephrase 1, -, .5 -> 75;  portability -, .375, 1 -> 68.75
        // locality 2/3, 1, - -> 83.333..;  fluency 5.0, 6.0, - bits -> 550;  gen EM 1, 0, 0 -> 33.33..
        List<CaseResult> cases = List.of(
                new CaseResult("counterfact/0", 1.0, 1.0, null, 2.0 / 3.0, 5.0, 1.0),
                new CaseResult("counterfact/1", 0.5, null, 0.375, 1.0, 6.0, 0.0),
                new CaseResult("counterfact/2", 0.0, 0.5, 1.0, null, null, 0.0));
        MethodMetrics m = MethodMetrics.aggregate("ROME", p, cases);
        assertEquals(50.0, m.editSucc(), EPS);
        assertEquals(75.0, m.generalization(), EPS);
        assertEquals(68.75, m.portability(), EPS);
        assertEquals(250.0 / 3.0, m.locality(), EPS);
        assertEquals(550.0, m.fluency(), EPS);
        assertEquals(100.0 / 3.0, m.generationExactMatch(), EPS);
        assertEquals(3, m.n());
        MethodMetrics none = MethodMetrics.aggregate("X", p, List.of(new CaseResult("c", 1, null, null, null, null, null)));
        assertNull(none.portability());
        assertThrows(IllegalArgumentException.class, () -> new CaseResult("c", 1.5, null, null, null, null, null));
        assertEquals("teacher-forced, single edits, scored after each edit, model ab12cd34ef56", p.describe());
        assertEquals(List.of("layers", "lr"), List.copyOf(p.hparams().keySet()));
    }

    @Test
    void sequentialSeriesSortsAndRejectsDuplicateCheckpoints() {
        Protocol p = new Protocol(Protocol.Scoring.TEACHER_FORCED, Protocol.Mode.SEQUENTIAL,
                Protocol.ScoredAfter.ALL_EDITS, FP, Map.of());
        MethodMetrics m = new MethodMetrics("GRACE", 90.0, 50.0, null, 100.0, null, null, 10, p);
        SequentialSeries s = new SequentialSeries("GRACE", List.of(
                new SequentialSeries.Point(100, m), new SequentialSeries.Point(10, m)));
        assertEquals(List.of(10, 100), s.points().stream().map(SequentialSeries.Point::edits).toList());
        assertThrows(IllegalArgumentException.class, () -> new SequentialSeries("GRACE", List.of(
                new SequentialSeries.Point(10, m), new SequentialSeries.Point(10, m))));
    }
}
