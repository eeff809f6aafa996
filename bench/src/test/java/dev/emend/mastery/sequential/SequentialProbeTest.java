package dev.emend.mastery.sequential;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.mastery.TinyFactModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe writes the cases one after another (or in batches) and prints one row per method. */
class SequentialProbeTest {

    @Test
    void printsOneRowPerMethodForSequentialAndBatchEdits(@TempDir Path tmp) throws Exception {
        Path cases = tmp.resolve("counterfact.json");
        Files.writeString(cases, """
                [{"subject": "Anna Berg", "prompt": "Anna Berg was born in", "target_new": "Lima", "ground_truth": "Paris",
                  "rephrase_prompt": "The birthplace of Anna Berg is",
                  "locality": {"Relation_Specificity": [{"prompt": "Anna Lund was born in", "ground_truth": "Berlin"}]}},
                 {"subject": "David Lund", "prompt": "David Lund was born in", "target_new": "Oslo", "ground_truth": "Rome",
                  "rephrase_prompt": "The birthplace of David Lund is", "locality": {}}]
                """);
        Path corpus = tmp.resolve("corpus.txt");
        Files.write(corpus, TinyFactModel.statsCorpus());
        String common = "--stats-dir=" + tmp.resolve("stats");
        String text = run(TinyFactModel.directory().toString(), cases.toString(), "2", "ROME,MEMIT,AlphaEdit", corpus.toString(),
                common, "--fact-token=last", "--steps=10", "--templates=5x2", "--layers=2,3", "--rome-layer=3",
                "--threshold=1e-4", "--l2=1e-5");
        assertTrue(text.contains("| ROME | [3] | 2 | 1 |"), text);
        assertTrue(text.contains("| MEMIT | [2, 3] | 2 | 1 |"), text);
        assertTrue(text.contains("| AlphaEdit | [2, 3] | 2 | 1 |"), text);
        text = run(TinyFactModel.directory().toString(), cases.toString(), "2", "AlphaEdit", corpus.toString(), common,
                "--batch=2", "--fact-token=last", "--steps=5", "--templates=5x2", "--layers=3", "--threshold=1e-4");
        assertTrue(text.contains("| AlphaEdit | [3] | 2 | 2 |"), text);
    }

    private static String run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            SequentialProbe.main(args);
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        return text;
    }
}
