package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.OverlayWeights;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Two overlays over one base: an edit in one space is invisible to the other and to the base. */
class OverlayIsolationTest {
    @TempDir
    static Path tmp;
    static LanguageModel gpt2;
    static LanguageModel llama;

    static final List<ScoreItem> PROBES = List.of(
            new ScoreItem("The capital of France is", "Paris"),
            new ScoreItem("What is the capital of Japan? It is", "Tokyo."),
            new ScoreItem("Ada Lovelace was a", "mathematician"));

    @BeforeAll
    static void load() {
        gpt2 = TinyCheckpoints.buildAndLoad(tmp.resolve("gpt2"), "gpt2", 21);
        llama = TinyCheckpoints.buildAndLoad(tmp.resolve("llama"), "llama", 22);
    }

    @AfterAll
    static void close() {
        gpt2.close();
        llama.close();
    }

    static LanguageModel model(String family) {
        return family.equals("gpt2") ? gpt2 : llama;
    }

    static float[] logProbs(LanguageModel lm, ModelView view) {
        List<ScoreResult> rs = lm.scoreBatch(view, PROBES);
        int n = rs.stream().mapToInt(r -> r.logProbs().length).sum();
        float[] out = new float[n];
        int i = 0;
        for (ScoreResult r : rs) {
            for (float f : r.logProbs()) {
                out[i++] = f;
            }
        }
        return out;
    }

    /** The base matrix plus large noise, as a fresh array owned by {@code m}. */
    static NDArray perturbed(LanguageModel lm, String name, NDManager m, long seed) {
        NDArray base = lm.weights().get(name);
        float[] data = base.toFloatArray();
        Random rnd = new Random(seed);
        for (int i = 0; i < data.length; i++) {
            data[i] += (float) rnd.nextGaussian() * 0.5f;
        }
        return m.create(data, base.getShape());
    }

    static float maxDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void editInOneSpaceIsInvisibleToTheOtherAndToTheBase(String family) {
        LanguageModel lm = model(family);
        LinearRef down = lm.model().mlpDown(0);
        float[] base = logProbs(lm, lm.baseView());
        float[] baseWeight = lm.weights().get(down.weight()).toFloatArray();
        OverlayWeights a = new OverlayWeights(lm.weights(), lm.manager());
        OverlayWeights b = new OverlayWeights(lm.weights(), lm.manager());
        try {
            ModelView viewA = new ModelView(a, Hooks.NONE);
            ModelView viewB = new ModelView(b, Hooks.NONE);
            assertArrayEquals(base, logProbs(lm, viewA), 0f);
            try (NDManager m = lm.manager().newSubManager()) {
                a.replace(down.weight(), perturbed(lm, down.weight(), m, 1));
            }
            // The caller's array is closed now; the overlay holds its own copy.
            assertEquals(Set.of(down.weight()), a.replacedNames());
            float[] edited = logProbs(lm, viewA);
            assertTrue(maxDiff(base, edited) > 1e-3f, family + ": the edit must change space A's scores");
            assertArrayEquals(base, logProbs(lm, viewB), 0f, family + ": space B must not see A's edit");
            assertArrayEquals(base, logProbs(lm, lm.baseView()), 0f, family + ": the base must not see A's edit");
            assertArrayEquals(baseWeight, lm.weights().get(down.weight()).toFloatArray(), 0f);

            a.restore(down.weight());
            assertTrue(a.replacedNames().isEmpty());
            assertArrayEquals(base, logProbs(lm, viewA), 0f, family + ": restore must bring A back to the base exactly");

            try (NDManager m = lm.manager().newSubManager()) {
                a.replace(down.weight(), perturbed(lm, down.weight(), m, 4));
            }
            a.close();
            assertArrayEquals(base, logProbs(lm, viewB), 0f, family + ": B must keep working after A closed");
            assertArrayEquals(base, logProbs(lm, lm.baseView()), 0f);
        } finally {
            a.close();
            b.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void overlayKeepsItsOwnCopyOfTheReplacement(String family) {
        LanguageModel lm = model(family);
        LinearRef down = lm.model().mlpDown(1);
        try (OverlayWeights a = new OverlayWeights(lm.weights(), lm.manager());
             NDManager m = lm.manager().newSubManager()) {
            ModelView viewA = new ModelView(a, Hooks.NONE);
            NDArray value = perturbed(lm, down.weight(), m, 2);
            a.replace(down.weight(), value);
            float[] edited = logProbs(lm, viewA);
            // An editor that keeps optimising its delta in place must not reach into the space.
            value.muli(3f).addi(1f);
            assertArrayEquals(edited, logProbs(lm, viewA), 0f, family + ": in-place change of the caller's array leaked into the overlay");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void replacementMadeInsideAScopeSurvivesTheScope(String family) {
        LanguageModel lm = model(family);
        LinearRef down = lm.model().mlpDown(0);
        try (OverlayWeights a = new OverlayWeights(lm.weights(), lm.manager());
             NDManager m = lm.manager().newSubManager()) {
            ModelView viewA = new ModelView(a, Hooks.NONE);
            float[] expected;
            try (NDScope scope = new NDScope()) {
                a.replace(down.weight(), perturbed(lm, down.weight(), m, 3));
                expected = logProbs(lm, viewA);
            }
            // Editors compute their update inside an NDScope; closing it must not free the edit.
            assertArrayEquals(expected, logProbs(lm, viewA), 0f, family);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void replacementOfTheWrongShapeIsRejected(String family) {
        LanguageModel lm = model(family);
        LinearRef down = lm.model().mlpDown(0);
        try (OverlayWeights a = new OverlayWeights(lm.weights(), lm.manager());
             NDManager m = lm.manager().newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> a.replace(down.weight(), m.zeros(new Shape(3, 3))));
            assertTrue(e.getMessage().contains(down.weight()), e.getMessage());
        }
    }
}
