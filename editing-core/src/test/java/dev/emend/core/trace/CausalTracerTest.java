package dev.emend.core.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.TinyCheckpoints;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CausalTracerTest {
    @TempDir
    static Path tmp;
    static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = TinyCheckpoints.buildAndLoad(tmp.resolve("gpt2"), "gpt2", 11);
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @Test
    void gridsHaveLayerByTokenShapeAndSubjectSpan() {
        CausalTracer tracer = new CausalTracer(lm, 4, 3.0, 1, 1);
        TraceResult r = tracer.trace("The capital of France is", "France", "Paris");
        int layers = lm.config().numLayers();
        int tokens = r.tokens().size();
        assertEquals(String.join("", r.tokens()), "The capital of France is");
        assertEquals(" France", String.join("", r.tokens().subList(r.subjectStart(), r.subjectEnd())));
        for (TraceResult.Kind k : TraceResult.Kind.values()) {
            assertEquals(layers, r.grid(k).length);
            for (float[] row : r.grid(k)) {
                assertEquals(tokens, row.length);
            }
            assertEquals(r.grid(k)[0][0] - r.pCorrupt(), r.indirectEffect(k)[0][0], 1e-7);
        }
        assertEquals(lm.tokenizer().encode(" Paris")[0], r.answerId());
        assertTrue(r.noiseStd() > 0);
    }

    @Test
    void restoringTheLastBlockAtTheLastTokenGivesBackTheCleanProbability() {
        CausalTracer tracer = new CausalTracer(lm, 5, 3.0, 7, 1);
        TraceResult r = tracer.trace("The capital of France is", "capital of France");
        int last = r.tokens().size() - 1;
        assertEquals(r.pClean(), r.block()[lm.config().numLayers() - 1][last], 1e-4);
        // Before the subject nothing is corrupted: restoring there changes nothing.
        assertEquals(r.pCorrupt(), r.block()[0][0], 1e-5);
        assertTrue(Math.abs(r.pClean() - r.pCorrupt()) > 1e-6, "noise should move the prediction");
    }

    @Test
    void zeroNoiseLeavesTheCleanRun() {
        CausalTracer tracer = new CausalTracer(lm, 3, 0.0, 1, 2);
        TraceResult r = tracer.trace("Paris is the largest city in France", "Paris");
        assertEquals(r.pClean(), r.pCorrupt(), 1e-5);
        assertEquals(0f, r.noiseStd());
        for (float[] row : r.mlp()) {
            for (float p : row) {
                assertEquals(r.pClean(), p, 1e-5);
            }
        }
    }

    @Test
    void sameSeedSameTrace() {
        TraceResult a = new CausalTracer(lm, 3, 3.0, 5, 1).trace("The capital of Peru is", "Peru");
        TraceResult b = new CausalTracer(lm, 3, 3.0, 5, 1).trace("The capital of Peru is", "Peru");
        assertEquals(a.pCorrupt(), b.pCorrupt());
        assertArrayEquals(a.mlp()[1], b.mlp()[1]);
    }

    @Test
    void defaultWindowScalesRomesTenOfFortyEight() {
        assertEquals(10, CausalTracer.defaultWindow(48));
        assertEquals(1, CausalTracer.defaultWindow(6));
        assertEquals(1, CausalTracer.defaultWindow(2));
        assertEquals(3, CausalTracer.defaultWindow(12));
    }

    @Test
    void badInputIsRejectedClearly() {
        CausalTracer tracer = new CausalTracer(lm);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tracer.trace("The capital of France is", "Germany"));
        assertTrue(e.getMessage().contains("does not occur"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tracer.trace("", "France"));
        assertThrows(IllegalArgumentException.class, () -> tracer.trace(null, "France"));
        assertThrows(IllegalArgumentException.class, () -> tracer.trace("The capital of France is", ""));
        e = assertThrows(IllegalArgumentException.class, () -> tracer.trace("The capital of France is", "France", " "));
        assertTrue(e.getMessage().contains("tokenizes to nothing"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CausalTracer(lm, 0, 3.0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CausalTracer(lm, 1, 3.0, 1, 0));
    }
}
