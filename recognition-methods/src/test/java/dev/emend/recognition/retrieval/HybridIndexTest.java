package dev.emend.recognition.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The Lucene index alone, with hand-made unit vectors. */
class HybridIndexTest {
    private static float[] unit(float... v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) (v[i] / Math.sqrt(n));
        }
        return out;
    }

    @Test
    void fusesBm25AndVectorScoresAndForgetsDeletedDocuments() {
        try (HybridIndex index = new HybridIndex(3)) {
            index.addBackground(List.of("The capital of France is Paris", "Pavel Quinn's job is professor"));
            assertEquals(List.of(), index.search("anything", unit(1, 0, 0), new Fusion(0.5, 0.5, 10)));
            index.add("a", "Pavel Quinn was born in Rangoon", unit(1, 0, 0));
            index.add("b", "The capital of Syria is Aleppo", unit(0, 1, 0));
            List<Hit> hits = index.search("Pavel Quinn's birthplace", unit(1, 0.1f, 0), new Fusion(0.5, 0.5, 10));
            assertEquals("a", hits.get(0).id());
            assertTrue(hits.get(0).bm25() > 0 && hits.get(0).bm25() < 1, "normalised BM25 " + hits.get(0).bm25());
            assertEquals(0.995, hits.get(0).cosine(), 1e-3);
            assertEquals(0.5 * hits.get(0).bm25() + 0.5 * hits.get(0).cosine(), hits.get(0).fused(), 1e-9);
            // Background documents are never returned; BM25 misses count as 0.
            assertTrue(hits.stream().noneMatch(h -> h.id() == null));
            Hit b = hits.stream().filter(h -> h.id().equals("b")).findFirst().orElseThrow();
            assertEquals(0.0, b.bm25());
            index.delete("a");
            assertTrue(index.search("Pavel Quinn", unit(1, 0, 0), new Fusion(0.5, 0.5, 10)).stream().noneMatch(h -> h.id().equals("a")));
            assertEquals(1, index.size());
        }
    }

    @Test
    void analyzerDropsPossessives() {
        try (HybridIndex index = new HybridIndex(2)) {
            assertEquals(List.of("pavel", "quinn", "job"), index.terms("Pavel Quinn's job"));
        }
    }

    private static float[] oneHot(int dimension, int at) {
        float[] v = new float[dimension];
        v[at] = 1f;
        return v;
    }

    /** A 4,096-wide model's vectors (Llama 2 7B; the 1B has 2,048): Lucene's own limit is 1,024. */
    @Test
    void indexesVectorsWiderThanLucenesDefaultLimit() {
        int d = 4096;
        try (HybridIndex template = new HybridIndex(d)) {
            template.add("a", "Pavel Quinn was born in Rangoon", oneHot(d, 4000));
            template.add("b", "The capital of Syria is Aleppo", oneHot(d, 7));
            try (HybridIndex copy = new HybridIndex(d, template)) { // reads the committed files back
                copy.add("c", "Rangoon is in Myanmar", oneHot(d, 2048));
                for (HybridIndex index : List.of(template, copy)) {
                    List<Hit> hits = index.search("Pavel Quinn", oneHot(d, 4000), new Fusion(0.5, 0.5, 10));
                    assertEquals("a", hits.get(0).id());
                    assertEquals(1.0, hits.get(0).cosine(), 1e-6);
                }
                assertEquals("c", copy.search("Myanmar", oneHot(d, 2048), new Fusion(0.5, 0.5, 10)).get(0).id());
            }
        }
    }
}
