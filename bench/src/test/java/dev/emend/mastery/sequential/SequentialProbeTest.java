package dev.emend.mastery.sequential;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.edit.EditException;
import dev.emend.mastery.TinyFactModel;
import dev.emend.mastery.probe.ProbeFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe runs any mastery method the registry knows through the engine, writing the cases one
 * after another, in batches, or each in a space of its own, and prints one row per method.
 */
class SequentialProbeTest {
    @TempDir
    static Path tmp;
    private static String model;
    private static String cases;
    private static String stats;

    @BeforeAll
    static void files() throws Exception {
        Path c = tmp.resolve("counterfact.json");
        Files.writeString(c, """
                [{"subject": "Anna Berg", "prompt": "Anna Berg was born in", "target_new": "Lima", "ground_truth": "Paris",
                  "rephrase_prompt": "The birthplace of Anna Berg is",
                  "locality": {"Relation_Specificity": [{"prompt": "Anna Lund was born in", "ground_truth": "Berlin"}]}},
                 {"subject": "David Lund", "prompt": "David Lund was born in", "target_new": "Oslo", "ground_truth": "Rome",
                  "rephrase_prompt": "The birthplace of David Lund is", "locality": {}}]
                """);
        Path corpus = tmp.resolve("corpus.txt");
        Files.write(corpus, TinyFactModel.statsCorpus());
        model = TinyFactModel.directory().toString();
        cases = c.toString();
        stats = "--stats-dir=" + tmp.resolve("stats") + " --corpus=" + corpus;
    }

    @Test
    void writesSequentiallyAndInBatchesWithAnyLocateThenEditMethod() throws Exception {
        String text = run(model, cases, "2", "ROME,memit,AlphaEdit", "--set=fact_token=last;v_num_grad_steps=10;"
                + "nullspace_threshold=1e-4;L2=1e-5;mom2_n_samples=2000", "--set.ROME=layers=[3]", "--set.MEMIT=layers=[2,3]");
        assertTrue(text.contains("| ROME | 2 | 1 |"), text);
        assertTrue(text.contains("| MEMIT | 2 | 1 |"), text);
        assertTrue(text.contains("| AlphaEdit | 2 | 1 |"), text);
        assertTrue(text.contains("layers=[2, 3]") || text.contains("layers=[2,3]"), "the per-method override is shown: " + text);
        // a batch of 2 for AlphaEdit; ROME has no batch mode and edits one at a time
        text = run(model, cases, "2", "AlphaEdit,ROME", "--batch=2", "--set=fact_token=last;v_num_grad_steps=5;"
                + "nullspace_threshold=1e-4;mom2_n_samples=2000");
        assertTrue(text.contains("| AlphaEdit | 2 | 2 |"), text);
        assertTrue(text.contains("| ROME | 2 | 1 |"), text);
    }

    @Test
    void freshSpacesGiveTheSingleEditProtocolForFineTuning() throws Exception {
        String text = run(model, cases, "2", "FT-L,FT-M", "--fresh", "--set=num_steps=3;layers=[3]");
        assertTrue(text.contains("| FT-L | 2 | 1 |") && text.contains("| FT-M | 2 | 1 |"), text);
    }

    @Test
    void unknownMethodsAndHparamsAreRefusedByName() {
        EditException unknown = assertThrows(EditException.class, () -> run(model, cases, "1", "NOPE"));
        assertTrue(unknown.getMessage().contains("ROME") && unknown.getMessage().contains("MEMIT"), unknown.getMessage());
        EditException hp = assertThrows(EditException.class, () -> run(model, cases, "1", "FT-M", "--set.FT-M=bogus=1"));
        assertTrue(hp.describe().contains("hparams.bogus"), hp.describe());
    }

    private static String run(String... args) throws Exception {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of(args));
        all.addAll(java.util.List.of(stats.split(" ")));
        return ProbeFixture.stdout(() -> SequentialProbe.probe(all.toArray(String[]::new)));
    }
}
