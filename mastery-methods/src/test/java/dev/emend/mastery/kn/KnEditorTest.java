package dev.emend.mastery.kn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.mastery.DefaultModel;
import dev.emend.mastery.engine.UpdateCodec;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitUpdate;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** KN on the default model: integrated gradients obey completeness, and the edit moves the answer and reverts. */
class KnEditorTest {
    private static final String PROMPT = "The official language of Aruba is";
    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = DefaultModel.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    /** P(token) at the prompt's last position with that position's MLP activation of {@code layer} scaled by alpha. */
    private static double probability(int layer, double alpha, int token) {
        int[] ids = lm.encodePrompt(PROMPT);
        long[][] rows = {Arrays.stream(ids).asLongStream().toArray()};
        int[][] mask = {new int[ids.length]};
        Arrays.fill(mask[0], 1);
        int last = ids.length - 1;
        LayerHook scale = new LayerHook() {
            @Override
            public NDArray mlpKeys(int l, NDArray k, HookContext ctx) {
                if (l != layer) {
                    return k;
                }
                float[] f = new float[ids.length];
                Arrays.fill(f, 1f);
                f[last] = (float) alpha;
                return k.mul(k.getManager().create(f, new ai.djl.ndarray.types.Shape(1, ids.length, 1)));
            }
        };
        ModelView view = lm.baseView().withHooks(Hooks.of(scale));
        float[] logits = lm.logits(view, new ForwardInput(rows, mask));
        int vocab = logits.length / ids.length;
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[last * vocab + v]);
        }
        double z = 0;
        for (int v = 0; v < vocab; v++) {
            z += Math.exp(logits[last * vocab + v] - max);
        }
        return Math.exp(logits[last * vocab + token] - max) / z;
    }

    @Test
    void integratedGradientsAreCompleteAndTheThresholdSelects() {
        KnEditor editor = new KnEditor(lm, new KnHyperParams(20, 10, 0.2, 0.4, false));
        KnEditor.Attribution a = editor.attribute(lm.baseView(), PROMPT, "Dutch");
        int[] truth = lm.tokenizePair(PROMPT, "Dutch")[1];
        assertEquals(1, truth.length, "' Dutch' is one token of the default model's vocabulary");
        double max = Arrays.stream(a.scores()).flatMapToDouble(r -> {
            double[] d = new double[r.length];
            for (int i = 0; i < r.length; i++) {
                d[i] = r[i];
            }
            return Arrays.stream(d);
        }).max().orElseThrow();
        assertEquals(0.2 * max, a.threshold(), 1e-9);
        assertFalse(a.neurons().isEmpty());
        a.neurons().forEach(n -> assertTrue(a.scores()[n.layer()][n.index()] > a.threshold()));
        // Completeness (Sundararajan et al. 2017): Σ_n IG_l[n] ≈ P(α = 1) − P(α = 0) for each layer. EasyEdit's
        // sum is Σ_{j<m} g(j/(m−1)) / m over m = 20 points of [0, 1], a Riemann sum of the integral up to its
        // endpoint weighting, so agreement to a few percent of the largest change is what it gives.
        double largest = 0;
        double[] sums = new double[a.scores().length];
        double[] diffs = new double[a.scores().length];
        for (int l = 0; l < sums.length; l++) {
            for (float s : a.scores()[l]) {
                sums[l] += s;
            }
            diffs[l] = probability(l, 1, truth[0]) - probability(l, 0, truth[0]);
            largest = Math.max(largest, Math.abs(diffs[l]));
        }
        for (int l = 0; l < sums.length; l++) {
            System.out.printf("KN completeness layer %d: sum IG %.4f, P(1) - P(0) %.4f%n", l, sums[l], diffs[l]);
            assertEquals(diffs[l], sums[l], 0.1 * largest + 1e-3, "layer " + l);
        }
    }

    @Test
    void theEditMovesTheAnswerTowardTheTargetAndReverts() {
        KnEditor editor = new KnEditor(lm, new KnHyperParams(20, 20, 0.2, 0.4, false));
        List<KnEditor.Neuron> neurons = editor.refined(lm.baseView(), List.of(PROMPT), "Dutch");
        MemitUpdate u = editor.edit(lm.baseView(), PROMPT, "Czech", neurons);
        assertEquals("KN", u.method());
        int touched = 0;
        for (MemitUpdate.LayerDelta d : u.layers()) {
            assertEquals(1, d.rank(), "one vector for every selected neuron of a layer: rank one");
            for (float b : d.b()) {
                assertTrue(b == 0f || b == 1f);
                touched += (int) b;
            }
        }
        assertEquals(neurons.size(), touched);
        MemitUpdate decoded = (MemitUpdate) UpdateCodec.decode(UpdateCodec.encode(u));
        assertEquals(u.layers().size(), decoded.layers().size());

        ScoreResult before = lm.score(lm.baseView(), PROMPT, "Czech");
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            ModelView edited = new ModelView(overlay, Hooks.NONE);
            MemitEditor.apply(overlay, decoded);
            ScoreResult after = lm.score(edited, PROMPT, "Czech");
            double lpBefore = before.logProbs()[0];
            double lpAfter = after.logProbs()[0];
            System.out.printf("KN: %d neurons in %d layers, log P(Czech) %.3f -> %.3f%n", neurons.size(), u.layers().size(),
                    lpBefore, lpAfter);
            assertTrue(lpAfter > lpBefore + 0.5, "KN raises log P(Czech): " + lpBefore + " -> " + lpAfter);
            MemitEditor.revert(overlay, decoded);
            assertEquals(lpBefore, lm.score(edited, PROMPT, "Czech").logProbs()[0], 1e-4, "the revert restores the answer");
        }
    }
}
