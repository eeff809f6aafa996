package dev.emend.mastery.probe;

import dev.emend.mastery.TinyFactModel;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the mastery probes' tests share: two KnowEdit cases on the tiny fact model, its corpus, the probe's stdout. */
public final class ProbeFixture {
    private ProbeFixture() {
    }

    /** A probe's body, run with its standard output captured. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    /** Writes two counterfact-style cases about TinyFactModel's people into {@code dir}; returns the file. */
    public static Path cases(Path dir) throws Exception {
        Path cases = dir.resolve("counterfact.json");
        Files.writeString(cases, """
                [{"subject": "Anna Berg", "prompt": "Anna Berg was born in", "target_new": "Lima", "ground_truth": "Paris",
                  "rephrase_prompt": "The birthplace of Anna Berg is",
                  "locality": {"Relation_Specificity": [{"prompt": "Anna Lund was born in", "ground_truth": "Berlin"}]}},
                 {"subject": "Boris Lund", "prompt": "Boris Lund speaks", "target_new": "French", "ground_truth": "German",
                  "rephrase_prompt": "The mother tongue of Boris Lund is", "locality": {}}]
                """);
        return cases;
    }

    /** Writes TinyFactModel's second-moment corpus into {@code dir}; returns the file. */
    public static Path corpus(Path dir) throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        Files.write(corpus, TinyFactModel.statsCorpus());
        return corpus;
    }

    /** Runs {@code body} with System.out captured; returns (and echoes) what it printed. */
    public static String stdout(Body body) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            body.run();
        } finally {
            System.setOut(old);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        return text;
    }
}
