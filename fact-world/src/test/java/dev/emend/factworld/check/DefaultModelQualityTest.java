package dev.emend.factworld.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.factworld.world.FactWorld;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed default model ({@code models/emend-facts}) still meets the quality the editing
 * benchmarks rely on, measured through the ordinary checkpoint loader: fact recall ≥ 95 %,
 * in-context update ≥ 85 %, context robustness ≥ 95 % (on an evenly spread sample, to keep
 * the suite fast; {@code ./emend facts-check} measures every item).
 */
class DefaultModelQualityTest {
    private static LanguageModel lm;
    private static FactWorld world;

    @BeforeAll
    static void load() {
        CommittedModel m = CommittedModel.load("emend-facts");
        lm = m.lm();
        world = m.world();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void meetsQualityTargets() {
        FactsCheck.Report r = FactsCheck.run(lm, world.evalSets(world.seed()), 800, s -> { });
        System.out.println(r.lines());
        assertTrue(r.recall() >= 95.0, "fact recall " + r.recall());
        assertTrue(r.inContext() >= 85.0, "in-context update " + r.inContext());
        assertTrue(r.robustness() >= 95.0, "context robustness " + r.robustness());
    }

    @Test
    void factsFileMatchesTheWorldItWasTrainedOn() {
        Path dir = Path.of(System.getProperty("emend.repo.root", "..")).resolve("models/emend-facts");
        assertTrue(Files.isRegularFile(dir.resolve("training-report.json")));
        assertEquals(FactWorld.build(world.seed()).facts(), world.facts());
    }

    @Test
    void benchmarkStringsNeedNoUnknownTokens() throws Exception {
        Path bench = Path.of(System.getProperty("emend.repo.root", "..")).resolve("benchmarks/emend-facts");
        for (String f : new String[] {"counterfact.json", "recent.json", "zsre.json"}) {
            String text = Files.readString(bench.resolve(f));
            // Byte-level BPE has no unknown token; check the stronger property that text
            // round-trips exactly, which ROME-style prompt reconstruction depends on.
            assertEquals(text, lm.tokenizer().decode(lm.tokenizer().encode(text)), f);
        }
    }
}
