package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sampling is reproducible from its seed, top_k=1 is greedy, and nonsense options are refused. */
class SamplingTest {
    @TempDir
    static Path tmp;
    static LanguageModel lm;
    static int[] prompt;

    @BeforeAll
    static void load() {
        lm = TinyCheckpoints.buildAndLoad(tmp.resolve("llama"), "llama", 81);
        prompt = lm.tokenizer().encode("The capital of Greece is");
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    static GenerationOptions sampling(int topK, float topP, long seed) {
        // No stop tokens besides eos; a random model keeps going, so lengths are comparable.
        return GenerationOptions.sampling(12, 1.0f, topK, topP, seed);
    }

    @Test
    void sameSeedGivesSameGeneration() {
        int[] a = lm.generateIds(lm.baseView(), prompt, sampling(0, 1f, 42));
        int[] b = lm.generateIds(lm.baseView(), prompt, sampling(0, 1f, 42));
        assertArrayEquals(a, b);
        int[] c = lm.generateIds(lm.baseView(), prompt, sampling(0, 0.9f, 42).withCache(false));
        int[] d = lm.generateIds(lm.baseView(), prompt, sampling(0, 0.9f, 42));
        assertArrayEquals(c, d, "cache on/off must not change sampled ids");
        boolean someDiffer = false;
        for (long seed = 1; seed <= 5 && !someDiffer; seed++) {
            someDiffer = !Arrays.equals(a, lm.generateIds(lm.baseView(), prompt, sampling(0, 1f, 42 + seed)));
        }
        assertTrue(someDiffer, "different seeds should give different samples from a near-uniform random model");
    }

    @Test
    void topKOneEqualsGreedy() {
        int[] greedy = lm.generateIds(lm.baseView(), prompt, GenerationOptions.greedy(12));
        for (long seed : new long[] {1, 2, 3}) {
            assertArrayEquals(greedy, lm.generateIds(lm.baseView(), prompt, sampling(1, 1f, seed)), "seed " + seed);
        }
        assertEquals(greedy.length, lm.generateIds(lm.baseView(), prompt, sampling(1, 0.5f, 9)).length);
    }

    @Test
    void pickHonoursTopKAndTopP() {
        float[] logits = {0f, 5f, 4.9f, -3f, 1f};
        Random rnd = new Random(7);
        GenerationOptions top2 = GenerationOptions.sampling(1, 1f, 2, 1f, 0);
        GenerationOptions nucleus = GenerationOptions.sampling(1, 1f, 0, 0.5f, 0);
        for (int i = 0; i < 200; i++) {
            int k = LanguageModel.pick(logits, top2, rnd);
            assertTrue(k == 1 || k == 2, "top_k=2 picked " + k);
            assertEquals(1, LanguageModel.pick(logits, nucleus, rnd), "top_p=0.5 keeps only the top token here");
        }
        assertEquals(1, LanguageModel.pick(logits, GenerationOptions.greedy(1), rnd));
    }

    @Test
    void invalidOptionsAreRejected() {
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class,
                () -> GenerationOptions.sampling(5, 1f, 0, 0f, 1));
        assertTrue(p.getMessage().contains("top_p"), p.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.sampling(5, 1f, 0, 1.5f, 1));
        assertThrows(IllegalArgumentException.class, () -> GenerationOptions.sampling(5, 1f, 0, Float.NaN, 1));
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> GenerationOptions.greedy(0));
        assertTrue(n.getMessage().contains("max_new_tokens"), n.getMessage());
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class,
                () -> GenerationOptions.sampling(5, -1f, 0, 1f, 1));
        assertTrue(t.getMessage().contains("temperature"), t.getMessage());
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> GenerationOptions.sampling(5, 1f, -1, 1f, 1));
        assertTrue(k.getMessage().contains("top_k"), k.getMessage());
        assertThrows(IllegalArgumentException.class, () -> lm.generate(lm.baseView(), "", GenerationOptions.greedy(3)));
    }

    @Test
    void generateReportsWhyItStopped() {
        Generation g = lm.generate(lm.baseView(), "The capital of Greece is", GenerationOptions.greedy(4));
        assertTrue(g.tokenIds().length <= 4);
        assertTrue(List.of("max_tokens", "stop_token").contains(g.stopReason()), g.stopReason());
        assertFalse(g.text() == null);
    }
}
