package dev.emend.mastery.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.TinyCheckpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** C is a symmetric PSD average of k kᵀ that ignores padding, and it is cached on disk by key. */
class SecondMomentStatsTest {

    @Test
    void secondMomentIsSymmetricPsdAndIndependentOfBatching(@TempDir Path tmp) {
        try (LanguageModel lm = TinyCheckpoints.buildAndLoad(tmp.resolve("m"), "gpt2", 11)) {
            List<String> corpus = TinyCheckpoints.corpus();
            SecondMoment batched = SecondMomentStats.compute(lm, lm.baseView(), 1, corpus, 7, SecondMomentStats.Progress.NONE);
            SecondMoment single = SecondMomentStats.compute(lm, lm.baseView(), 1, corpus, 1, SecondMomentStats.Progress.NONE);
            int d = batched.dim();
            assertEquals(lm.model().mlpDown(1).inFeatures(), d);
            assertEquals(single.tokenCount(), batched.tokenCount());
            long expectedTokens = corpus.stream().mapToLong(s -> lm.tokenizer().encode(s).length).sum();
            assertEquals(expectedTokens, batched.tokenCount(), "every non-pad token and nothing else is counted");
            double scale = 0;
            for (int i = 0; i < d; i++) {
                scale = Math.max(scale, batched.get(i, i));
            }
            for (int i = 0; i < d; i++) {
                assertTrue(batched.get(i, i) >= 0);
                for (int j = 0; j < d; j++) {
                    assertEquals(batched.get(i, j), batched.get(j, i), 1e-9 * scale, "symmetric");
                    // Padding rows would change the batched result; batching must not.
                    assertEquals(single.get(i, j), batched.get(i, j), 1e-5 * scale, "batch size must not matter");
                }
            }
            Random rnd = new Random(3);
            for (int trial = 0; trial < 20; trial++) {
                double[] x = new double[d];
                for (int i = 0; i < d; i++) {
                    x[i] = rnd.nextGaussian();
                }
                double q = 0;
                for (int i = 0; i < d; i++) {
                    for (int j = 0; j < d; j++) {
                        q += x[i] * batched.get(i, j) * x[j];
                    }
                }
                assertTrue(q >= -1e-6 * scale * d, "xᵀCx must be >= 0, got " + q);
            }
            // The solve inverts C.
            double[] b = new double[d];
            for (int i = 0; i < d; i++) {
                b[i] = Math.sin(i);
            }
            double[] x = batched.solve(b);
            for (int i = 0; i < d; i++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += batched.get(i, j) * x[j];
                }
                assertEquals(b[i], s + batched.ridge() * x[i], 1e-6 * (1 + Math.abs(b[i])));
            }
        }
    }

    @Test
    void cacheHitsOnTheSameKeyAndMissesOnAnotherSampleCount(@TempDir Path tmp) throws Exception {
        try (LanguageModel lm = TinyCheckpoints.buildAndLoad(tmp.resolve("m"), "gpt2", 12)) {
            CovarianceCache cache = new CovarianceCache(tmp.resolve("stats"), 8);
            List<String> corpus = TinyCheckpoints.corpus();
            AtomicInteger calls = new AtomicInteger();
            SecondMomentStats.Progress progress = (done, total, tokens) -> calls.incrementAndGet();

            CovarianceCache.Lookup first = cache.get(lm, 0, corpus, 30, progress);
            assertFalse(first.fromCache());
            assertTrue(Files.isRegularFile(first.file()));
            assertTrue(calls.get() > 0, "progress is reported while computing");
            long modified = Files.getLastModifiedTime(first.file()).toMillis();

            calls.set(0);
            CovarianceCache.Lookup second = cache.get(lm, 0, corpus, 30, progress);
            assertTrue(second.fromCache(), "second lookup with the same key reads the file");
            assertEquals(0, calls.get(), "a hit computes nothing");
            assertEquals(first.file(), second.file());
            assertEquals(modified, Files.getLastModifiedTime(second.file()).toMillis());
            assertEquals(first.moment().tokenCount(), second.moment().tokenCount());
            for (int i = 0; i < first.moment().dim(); i += 7) {
                for (int j = 0; j < first.moment().dim(); j += 5) {
                    assertEquals(first.moment().get(i, j), second.moment().get(i, j), 0.0, "hit and miss agree exactly");
                }
            }

            CovarianceCache.Lookup fewer = cache.get(lm, 0, corpus, 20, progress);
            assertFalse(fewer.fromCache(), "another sample count is another key");
            assertNotEquals(first.file(), fewer.file());
            assertTrue(fewer.moment().tokenCount() < first.moment().tokenCount());

            CovarianceCache.Lookup otherLayer = cache.get(lm, 1, corpus, 30, progress);
            assertFalse(otherLayer.fromCache(), "another layer is another key");

            // A damaged file is recomputed, not trusted.
            Files.write(first.file(), new byte[] {1, 2, 3});
            CovarianceCache.Lookup repaired = cache.get(lm, 0, corpus, 30, progress);
            assertFalse(repaired.fromCache());
            assertTrue(cache.get(lm, 0, corpus, 30, progress).fromCache());
        }
    }
}
