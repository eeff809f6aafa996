package dev.emend.mastery.memit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.mastery.TinyFactModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe reads a KnowEdit file and prints one table row per layer set. */
class MemitProbeTest {

    @Test
    void printsATableRow(@TempDir Path tmp) throws Exception {
        Path cases = tmp.resolve("counterfact.json");
        Files.writeString(cases, """
                [{"subject": "Anna Berg", "prompt": "Anna Berg was born in", "target_new": "Lima", "ground_truth": "Paris",
                  "rephrase_prompt": "The birthplace of Anna Berg is",
                  "locality": {"Relation_Specificity": [{"prompt": "Anna Lund was born in", "ground_truth": "Berlin"}]}},
                 {"subject": "Boris Lund", "prompt": "Boris Lund speaks", "target_new": "French", "ground_truth": "German",
                  "rephrase_prompt": "The mother tongue of Boris Lund is", "locality": {}}]
                """);
        Path corpus = tmp.resolve("corpus.txt");
        Files.write(corpus, TinyFactModel.statsCorpus());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            MemitProbe.main(new String[] {TinyFactModel.directory().toString(), cases.toString(), "2", "2,3", corpus.toString(),
                "--stats-dir=" + tmp.resolve("stats"), "--fact-token=last", "--steps=10", "--templates=5x5"});
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertTrue(text.contains("| MEMIT | [2, 3] |"), text);
    }
}
