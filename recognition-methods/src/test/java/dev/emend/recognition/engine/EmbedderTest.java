package dev.emend.recognition.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.recognition.retrieval.Embedder;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbedderTest {
    @Test
    void batchedVectorsEqualSingleOnesAndMeanPoolingIsLanguageModelEmbed() {
        LanguageModel lm = SharedEngine.get().model();
        List<String> texts = List.of("The capital of France is", "Pavel Quinn was born in the city of", "Syria");
        for (Embedder.Pooling p : Embedder.Pooling.values()) {
            Embedder e = Embedder.centredOn(lm, texts, p);
            List<float[]> batch = e.embedBatch(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertArrayEquals(e.embed(texts.get(i)), batch.get(i), 1e-4f, p + " " + texts.get(i));
                double norm = 0;
                for (float v : batch.get(i)) {
                    norm += v * v;
                }
                assertEquals(1.0, norm, 1e-4, p.name());
            }
        }
        // Zero centre, mean pooling: the direction of LanguageModel.embed.
        Embedder plain = new Embedder(lm, null, Embedder.Pooling.MEAN);
        float[] raw = lm.embed(lm.baseView(), texts.get(1));
        float[] unit = plain.embedBatch(List.of(texts.get(1))).get(0);
        double dot = 0;
        double n = 0;
        for (int i = 0; i < raw.length; i++) {
            dot += raw[i] * unit[i];
            n += raw[i] * raw[i];
        }
        assertEquals(1.0, dot / Math.sqrt(n), 1e-4);
        assertTrue(SharedEngine.get().embedder().pooling() == Embedder.Pooling.LAST);
    }
}
