package dev.emend.knowedit.metrics;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The task metrics on cases worked out by hand (comments). */
class TaskMetricsTest {
    static final double EPS = 1e-9;

    @Test
    void truthAbsentChecksEveryAliasCaseInsensitively() {
        assertEquals(1.0, TaskMetrics.truthAbsent(" I don't know.", List.of("07700 900123")));
        assertEquals(0.0, TaskMetrics.truthAbsent(" It is 07700 900123.", List.of("07700 900123")));
        // second alias found -> not absent
        assertEquals(0.0, TaskMetrics.truthAbsent(" He has HAY FEVER", List.of("asthma", "hay fever")));
        // 3 generations, the true value in one: 2/3 absent
        assertEquals(2.0 / 3, TaskMetrics.truthAbsent(List.of("no", "asthma it is", "unknown"), List.of("asthma")), EPS);
        assertThrows(IllegalArgumentException.class, () -> TaskMetrics.truthAbsent("x", List.of()));
        assertThrows(IllegalArgumentException.class, () -> TaskMetrics.truthAbsent(List.of(), List.of("a")));
    }

    @Test
    void perplexityIsExpOfMeanNegativeLogProb() {
        // log-probs ln(1/2), ln(1/8): mean = -2 ln 2 -> ppl = e^(2 ln 2) = 4
        ScoreResult s = MetricsTest.score(MetricsTest.EDITED, MetricsTest.ids(1, 2), MetricsTest.ids(1, 2),
                Math.log(0.5), Math.log(0.125));
        assertEquals(4.0, TaskMetrics.perplexity(s), 1e-12);
        // one token of probability 1 -> perplexity 1
        assertEquals(1.0, TaskMetrics.perplexity(MetricsTest.score(MetricsTest.BASE, MetricsTest.ids(3), MetricsTest.ids(3), 0.0)), EPS);
    }

    @Test
    void lexiconDropsSharedWordsAndJudgesBySign() {
        TaskMetrics.Lexicon l = TaskMetrics.Lexicon.of(
                List.of("I think it is wonderful.", "I think it is great."),
                List.of("I think it is terrible.", "I think it is boring."));
        assertEquals(Set.of("wonderful", "great"), l.positive());
        assertEquals(Set.of("terrible", "boring"), l.negative());
        assertEquals(1, l.polarity(" I think it is Wonderful!"));
        assertEquals(-1, l.polarity("terrible, just terrible, but great"));  // 1 - 2 < 0
        assertEquals(0, l.polarity("great and boring"));                      // 1 - 1 = 0
        assertEquals(0, l.polarity("Paris is the capital"));
        // target positive: answers +1, -1, 0, +1 -> 2 of 4
        assertEquals(0.5, TaskMetrics.sentimentSuccess(List.of("great", "boring", "meh", "wonderful day"), l, 1), EPS);
        assertEquals(0.25, TaskMetrics.sentimentSuccess(List.of("great", "boring", "meh", "wonderful day"), l, -1), EPS);
        assertThrows(IllegalArgumentException.class, () -> TaskMetrics.sentimentSuccess(List.of("x"), l, 0));
    }

    @Test
    void lexiconWithoutWordsOfOnePolarityIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskMetrics.Lexicon.of(List.of("it is good"), List.of("it is")));
        assertTrue(e.getMessage().contains("needs positive and negative words"), e.getMessage());
    }

    @Test
    void perplexitiesAreNotPercentages() {
        assertFalse(TaskMetrics.isPercent(TaskMetrics.PPL_BEFORE));
        assertTrue(TaskMetrics.isPercent(TaskMetrics.TRUTH_ABSENT_SAMPLED));
        assertEquals(7, TaskMetrics.DESCRIPTIONS.size());
    }
}
