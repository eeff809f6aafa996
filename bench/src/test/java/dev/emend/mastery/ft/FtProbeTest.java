package dev.emend.mastery.ft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.mastery.TinyFactModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe reads a KnowEdit file and prints one table row per layer. */
class FtProbeTest {

    @Test
    void printsATableRow(@TempDir Path tmp) throws Exception {
        Path cases = tmp.resolve("counterfact.json");
        Files.writeString(cases, """
                [{"subject": "Anna Berg", "prompt": "Anna Berg was born in", "target_new": "Lima Oslo", "ground_truth": "Paris",
                  "rephrase_prompt": "The birthplace of Anna Berg is",
                  "locality": {"Relation_Specificity": [{"prompt": "Anna Lund was born in", "ground_truth": "Berlin"}]}},
                 {"subject": "Boris Lund", "prompt": "Boris Lund speaks", "target_new": "French", "ground_truth": "German",
                  "rephrase_prompt": "The mother tongue of Boris Lund is", "locality": {}}]
                """);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            FtProbe.main(new String[] {TinyFactModel.directory().toString(), cases.toString(), "2", "FT-L", "0,3", "--steps=3"});
            FtProbe.main(new String[] {TinyFactModel.directory().toString(), cases.toString(), "2", "FT-M", "3", "--steps=3",
                "--lr=1e-2"});
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertTrue(text.contains("| FT-L | 0 |") && text.contains("| FT-L | 3 |") && text.contains("| FT-M | 3 |"), text);
    }
}
