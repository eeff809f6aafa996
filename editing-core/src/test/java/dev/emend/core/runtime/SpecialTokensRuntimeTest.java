package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.prompt.ContextFormat;
import dev.emend.core.tokenizer.ReferenceTokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The special-token policy and scoring on a tiny Llama with the real Llama-3 tokenizer and its
 * full 128,256-id vocabulary: BOS only where the tokenizer files ask for it, every EOS id of
 * config.json and generation_config.json stops generation, scores equal a log-softmax over the
 * full logits, and scoring a 3,000-token text never materialises [tokens, vocab] logits.
 */
class SpecialTokensRuntimeTest {
    static final int VOCAB = 128_256;

    @TempDir
    static Path tmp;

    static Path early;
    static Path withTemplate;

    @BeforeAll
    static void build() {
        early = RealVocabCheckpoints.build(tmp.resolve("early"), ReferenceTokenizers.directory(tmp, "llama3"), VOCAB, 3);
        withTemplate = RealVocabCheckpoints.build(tmp.resolve("template"),
                ReferenceTokenizers.directory(tmp, "llama3-bos-template"), VOCAB, 3);
    }

    @Test
    void bosFollowsTheTokenizerFilesNotTheFamily() {
        try (LanguageModel lm = Checkpoints.load(early)) {
            // The Llama family would add BOS by default; the early Llama-3 files say no (as HF).
            assertArrayEquals(lm.tokenizer().encode("Hello world"), lm.encodePrompt("Hello world"));
            assertEquals(List.of(128001), lm.specialTokens().eosIds());
        }
        try (LanguageModel lm = Checkpoints.load(withTemplate)) {
            int[] ids = lm.encodePrompt("Hello world");
            assertEquals(128000, ids[0]);
            assertArrayEquals(lm.tokenizer().encode("Hello world"), Arrays.copyOfRange(ids, 1, ids.length));
            assertEquals(128000, lm.score(lm.baseView(), "Hello", "world").promptIds()[0]);
        }
    }

    @Test
    void inContextDocumentsAreSeparatedByTheCheckpointsOwnEndOfText() {
        // Llama 3 ends a document with <|end_of_text|> (GPT-2 and the default model with
        // <|endoftext|>, recognition-service's PromptFramingTest): IKE's demonstrations are
        // separated by the text the tokenizer turns back into the EOS id, never a fixed string.
        try (LanguageModel lm = Checkpoints.load(early)) {
            String separator = ContextFormat.documentSeparator(lm);
            assertEquals("<|end_of_text|>", separator);
            assertArrayEquals(new int[] {128001}, lm.tokenizer().encode(separator));
        }
    }

    @Test
    void noTokenizerConfigFallsBackToTheFamilyDefault(@TempDir Path dir) throws IOException {
        Path ckpt = RealVocabCheckpoints.build(dir.resolve("m"), ReferenceTokenizers.directory(dir, "llama3"), VOCAB, 3);
        Files.delete(ckpt.resolve("tokenizer_config.json"));
        try (LanguageModel lm = Checkpoints.load(ckpt)) {
            // transformers picks LlamaTokenizerFast from model_type, whose add_bos_token defaults to true.
            assertEquals(128000, lm.encodePrompt("Hi")[0]);
            assertTrue(lm.specialTokens().bosReason().contains("llama family"), lm.specialTokens().bosReason());
            // No eos_token named by a tokenizer_config.json: config.json's eos_token_id.
            assertEquals(List.of(128001), lm.specialTokens().eosIds());
        }
    }

    private static void writeJson(Path file, String field, int... ids) throws IOException {
        JsonObject o = Files.isRegularFile(file) ? JsonParser.parseString(Files.readString(file)).getAsJsonObject()
                : new JsonObject();
        JsonArray a = new JsonArray();
        for (int id : ids) {
            a.add(id);
        }
        o.add(field, a);
        Files.writeString(file, o.toString());
    }

    /** Seeded sampling over the whole vocabulary: a random tiny model's greedy output repeats one token. */
    static final GenerationOptions SAMPLING = GenerationOptions.sampling(6, 1f, 0, 1f, 11);

    @Test
    void everyEosIdOfConfigAndGenerationConfigStopsGeneration(@TempDir Path dir) throws IOException {
        Path ckpt = RealVocabCheckpoints.build(dir.resolve("m"), ReferenceTokenizers.directory(dir, "llama3"), VOCAB, 5);
        int[] free;
        try (LanguageModel lm = Checkpoints.load(ckpt)) {
            free = lm.generateIds(lm.baseView(), lm.encodePrompt("The capital of France is"), SAMPLING.withoutEos());
        }
        assertEquals(6, free.length);
        // Make the third sampled token a non-primary EOS of generation_config.json (Llama-3.1
        // Instruct lists three), with config.json holding a list too.
        int stop = free[2];
        int first = Arrays.stream(free).limit(2).anyMatch(t -> t == stop) ? -1 : stop;
        assertTrue(first >= 0, "the sampled tokens repeat: " + Arrays.toString(free));
        writeJson(ckpt.resolve("config.json"), "eos_token_id", 128001, 128009);
        writeJson(ckpt.resolve("generation_config.json"), "eos_token_id", 128001, stop, 128009);
        try (LanguageModel lm = Checkpoints.load(ckpt)) {
            assertEquals(List.of(128001, 128009, stop), lm.specialTokens().eosIds());
            Generation g = lm.generate(lm.baseView(), "The capital of France is", SAMPLING);
            assertArrayEquals(Arrays.copyOf(free, 3), g.tokenIds());
            assertEquals("stop_token", g.stopReason());
            String info = String.join("\n", lm.specialTokens().describe(lm.tokenizer()));
            assertTrue(info.contains("generation_config.json eos_token_id"), info);
        }
    }

    @Test
    void targetOnlyScoresEqualTheFullLogSoftmax() {
        try (LanguageModel lm = Checkpoints.load(withTemplate)) {
            List<int[][]> pairs = List.of(lm.tokenizePair("The capital of France is", "Paris"),
                    lm.tokenizePair("Tokyo", "is the capital of Japan"));
            List<ScoreResult> scored = lm.scoreIds(lm.baseView(), pairs);
            for (int b = 0; b < pairs.size(); b++) {
                int[] p = pairs.get(b)[0];
                int[] t = pairs.get(b)[1];
                long[] all = new long[p.length + t.length];
                for (int i = 0; i < all.length; i++) {
                    all[i] = i < p.length ? p[i] : t[i - p.length];
                }
                float[] logits = lm.logits(lm.baseView(), ForwardInput.of(all));
                for (int j = 0; j < t.length; j++) {
                    int row = (p.length - 1 + j) * VOCAB;
                    double max = Double.NEGATIVE_INFINITY;
                    int arg = 0;
                    for (int v = 0; v < VOCAB; v++) {
                        if (logits[row + v] > max) {
                            max = logits[row + v];
                            arg = v;
                        }
                    }
                    double sum = 0;
                    for (int v = 0; v < VOCAB; v++) {
                        sum += Math.exp(logits[row + v] - max);
                    }
                    double expected = logits[row + t[j]] - max - Math.log(sum);
                    assertEquals(expected, scored.get(b).logProbs()[j], 1e-4, "pair " + b + " token " + j);
                    assertEquals(arg, scored.get(b).argmaxIds()[j], "pair " + b + " token " + j);
                }
            }
        }
    }

    @Test
    void scoringA3000TokenTextNeverBuildsFullVocabularyLogits() throws IOException {
        try (LanguageModel lm = Checkpoints.load(withTemplate)) {
            int[][] pair = longPair(lm, 2000, 1000);
            lm.scoreIds(lm.baseView(), List.<int[][]>of(pair)); // warm-up: native allocator pools
            System.gc();
            ProcStatus.resetPeak();
            long before = ProcStatus.kb("VmRSS");
            ScoreResult r = lm.scoreIds(lm.baseView(), List.<int[][]>of(pair)).get(0);
            long grew = ProcStatus.kb("VmHWM") - before;
            assertEquals(1000, r.logProbs().length);
            // Full-width logits of 3,000 positions are 1.5 GB and their log-softmax as much again
            // (ScoringMemoryProbe measured +3.5 GB for that path). Chunks of 64 rows need ~33 MB;
            // what remains is attention's [heads, T, T] scores (~0.2 GB per layer here) and the
            // JVM heap, so the bound leaves room for those and still fails for full-width logits.
            System.out.println("SpecialTokensRuntimeTest: scoring 3,000 tokens (1,000 scored), vocab " + VOCAB
                    + ": peak RSS grew " + grew / 1024 + " MB");
            assertTrue(grew < 1200 * 1024, "peak RSS grew " + grew / 1024 + " MB while scoring");
        }
    }

    /** A prompt of {@code promptLen} and a target of {@code targetLen} ids, cycling through ordinary tokens. */
    static int[][] longPair(LanguageModel lm, int promptLen, int targetLen) {
        int[] p = new int[promptLen];
        int[] t = new int[targetLen];
        p[0] = 128000;
        for (int i = 1; i < promptLen; i++) {
            p[i] = 1000 + (i * 7919) % 100_000;
        }
        for (int i = 0; i < targetLen; i++) {
            t[i] = 1000 + (i * 104_729) % 100_000;
        }
        return new int[][] {p, t};
    }
}
