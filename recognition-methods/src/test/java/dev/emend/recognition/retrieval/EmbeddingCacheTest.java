package dev.emend.recognition.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingCacheTest {
    private static final List<String> TEXTS = List.of("a", "b", "c");

    private static Supplier<List<float[]>> counting(AtomicInteger calls, float base) {
        return () -> {
            calls.incrementAndGet();
            return List.of(new float[] {base, 1}, new float[] {base, 2}, new float[] {base, 3});
        };
    }

    @Test
    void computesOnceThenReadsTheSameVectorsBack(@TempDir Path dir) {
        EmbeddingCache cache = new EmbeddingCache(dir);
        AtomicInteger calls = new AtomicInteger();
        List<float[]> first = cache.get("sha256:m", "LAST", TEXTS, 2, counting(calls, 0.5f));
        List<float[]> second = new EmbeddingCache(dir).get("sha256:m", "LAST", TEXTS, 2, counting(calls, 9f));
        assertEquals(1, calls.get(), "the second call read the file");
        for (int i = 0; i < TEXTS.size(); i++) {
            assertArrayEquals(first.get(i), second.get(i));
        }
    }

    @Test
    void anotherModelPoolingOrListIsAnotherEntry(@TempDir Path dir) {
        String k = EmbeddingCache.key("sha256:m", "LAST", TEXTS);
        assertNotEquals(k, EmbeddingCache.key("sha256:n", "LAST", TEXTS));
        assertNotEquals(k, EmbeddingCache.key("sha256:m", "MEAN", TEXTS));
        assertNotEquals(k, EmbeddingCache.key("sha256:m", "LAST", List.of("a", "b")));
        assertNotEquals(EmbeddingCache.key("sha256:m", "LAST", List.of("ab", "c")), EmbeddingCache.key("sha256:m", "LAST", List.of("a", "bc")));
    }

    @Test
    void aTruncatedFileIsRecomputedAndReplaced(@TempDir Path dir) throws IOException {
        EmbeddingCache cache = new EmbeddingCache(dir);
        AtomicInteger calls = new AtomicInteger();
        cache.get("sha256:m", "LAST", TEXTS, 2, counting(calls, 1f));
        Path file = dir.resolve(EmbeddingCache.key("sha256:m", "LAST", TEXTS) + ".f32");
        Files.write(file, new byte[5]);
        List<float[]> again = cache.get("sha256:m", "LAST", TEXTS, 2, counting(calls, 7f));
        assertEquals(2, calls.get());
        assertArrayEquals(new float[] {7f, 3}, again.get(2));
        assertEquals(3 * 2 * 4, Files.size(file));
    }
}
