package dev.emend.factworld.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.factworld.train.FactModelBuilder;
import dev.emend.factworld.world.FactWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed second-generation model ({@code models/emend-facts-2}, issue 19) keeps what its
 * model card reports, measured through the ordinary loader on an evenly spread sample of 600 items
 * per set ({@code ./emend facts-check --model models/emend-facts-2} measures all): fact recall,
 * recall under held-out paraphrases, in-context update and robustness; its facts are the
 * generation-2 world's and every benchmark text round-trips through its tokenizer.
 */
class SecondGenerationModelQualityTest {
    private static Path dir;
    private static LanguageModel lm;
    private static FactWorld world;

    @BeforeAll
    static void load() {
        CommittedModel m = CommittedModel.load("emend-facts-2");
        dir = m.dir();
        lm = m.lm();
        world = m.world();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void meetsItsQualityFigures() {
        FactsCheck.Report r = FactsCheck.run(lm, world.evalSets(world.seed()), 600, s -> { });
        System.out.println(r.lines());
        // Full sets (model card): 100.0 / 82.3 / 85.6 / 94.1; margins for the sample.
        assertTrue(r.recall() >= 99.0, "fact recall " + r.recall());
        assertTrue(r.heldOut() >= 78.0, "held-out paraphrase recall " + r.heldOut());
        assertTrue(r.inContext() >= 80.0, "in-context update " + r.inContext());
        assertTrue(r.robustness() >= 90.0, "context robustness " + r.robustness());
    }

    @Test
    void factsAreTheGenerationTwoWorldAndBenchmarkTextRoundTrips() throws Exception {
        assertEquals(2, world.generation());
        assertEquals(FactWorld.build(1, FactModelBuilder.GENERATION_2_DEFAULT, 2).facts(), world.facts());
        Path bench = dir.getParent().getParent().resolve("benchmarks/emend-facts-2");
        assertEquals(Files.readString(bench.resolve("facts.json")), Files.readString(dir.resolve("facts.json")));
        for (String f : new String[] {"counterfact.json", "recent.json", "zsre.json", "erasure.json", "sentiment.json", "longform.json"}) {
            String text = Files.readString(bench.resolve(f));
            assertEquals(text, lm.tokenizer().decode(lm.tokenizer().encode(text)), f);
        }
    }
}
