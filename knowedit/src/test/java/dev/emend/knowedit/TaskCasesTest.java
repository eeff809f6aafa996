package dev.emend.knowedit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TaskCasesTest {

    @Test
    void sanitationCasesGetAWindowOfTheRetainList() throws IOException {
        KnowEditDataset d = KnowEditReader.read(KnowEditReaderTest.fixture("sanitation-test.json"));
        List<Probe> shared = d.sharedLocality().get("locality");
        List<EvalCase> cases = TaskCases.withTaskLocality(d);
        assertEquals(d.size(), cases.size());
        int k = Math.min(TaskCases.RETAIN_PER_CASE, shared.size());
        for (int i = 0; i < cases.size(); i++) {
            List<Probe> retain = cases.get(i).locality().get(TaskCases.RETAIN);
            assertEquals(k, retain.size());
            assertEquals(shared.get((i * k) % shared.size()), retain.get(0));
        }
    }

    @Test
    void convSentCasesGetTheNextTopicsAsLocality() throws IOException {
        KnowEditDataset d = KnowEditReader.read(KnowEditReaderTest.fixture("convsent.json"));
        List<EvalCase> cases = TaskCases.withTaskLocality(d);
        // two records: each gets the other one's topic (only one other), first pos and first neg
        List<Probe> loc = cases.get(0).locality().get(TaskCases.OTHER_TOPICS);
        assertEquals(List.of(new Probe("What do you think of jazz?", List.of("Jazz is wonderful.")),
                new Probe("What do you think of jazz?", List.of("Jazz bores me."))), loc);
        assertEquals("What do you think of pineapple pizza?", cases.get(1).locality().get(TaskCases.OTHER_TOPICS).get(0).prompt());
    }

    @Test
    void otherFormatsAreUnchanged() throws IOException {
        KnowEditDataset d = KnowEditReader.read(KnowEditReaderTest.fixture("wikibio.json"));
        assertEquals(d.cases(), TaskCases.withTaskLocality(d));
    }

    /** The generation-2 task files written by {@code ./emend benchmarks --generation 2}. */
    @ParameterizedTest
    @CsvSource({
            "erasure.json, sanitation, 60", "erasure-train.json, sanitation, 30",
            "sentiment.json, convsent, 30", "sentiment-train.json, convsent, 20",
            "longform.json, wikibio, 60", "longform-train.json, wikibio, 30",
    })
    void readsTheGeneratedTaskBenchmarks(String name, String format, int n) throws IOException {
        Path f = KnowEditReaderTest.repoRoot().resolve("benchmarks/emend-facts-2").resolve(name);
        KnowEditDataset d = KnowEditReader.read(f);
        assertEquals(KnowEditFormat.parse(format), d.format());
        assertEquals(n, d.size());
        List<EvalCase> cases = TaskCases.withTaskLocality(d);
        for (EvalCase c : cases) {
            assertTrue(c.prompt().contains(c.subject()), c.caseId());
            assertTrue(c.hasLocality(), c.caseId());
            assertFalse(c.targetNew().isBlank(), c.caseId());
        }
        if (format.equals("sanitation")) {
            assertTrue(cases.stream().allMatch(c -> c.targetNew().equals("I don't know.") && !c.groundTruth().isEmpty()));
        }
        if (format.equals("convsent")) {
            // the reader's target sentiment always flips the world's polarity of the topic
            for (EvalCase c : cases) {
                String target = (String) c.extra().get("target_sentiment");
                assertEquals(target.equals("pos") ? "negative" : "positive", c.extra().get("topic_polarity"), c.caseId());
            }
        }
    }
}
