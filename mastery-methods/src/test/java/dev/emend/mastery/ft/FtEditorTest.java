package dev.emend.mastery.ft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.mastery.TinyFactModel;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** FT-L and FT-M on a tiny GPT-2 trained to know capital cities. */
class FtEditorTest {
    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = TinyFactModel.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    @Test
    void ftMRaisesTheTargetOnTheEditPrompt() {
        int last = lm.config().numLayers() - 1;
        FtHyperParams hp = FtHyperParams.ftM(last).withOptimisation(25, 1e-2, 0);
        String prompt = "Anna Berg was born in";
        ScoreResult before = lm.score(lm.baseView(), prompt, "Lima");
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            FtUpdate u = new FtEditor(lm, hp).edit(overlay, Hooks.NONE, List.of(new FtRequest(prompt, "Lima")));
            ScoreResult after = lm.score(new ModelView(overlay, Hooks.NONE), prompt, "Lima");
            System.out.printf("FT-M tiny: steps %d loss %.4f -> %.4f; log P(Lima) %.2f -> %.2f%n", u.steps(), u.initialLoss(),
                    u.finalLoss(), before.meanLogProb(), after.meanLogProb());
            assertEquals("FT-M", u.method());
            assertTrue(after.meanLogProb() > before.meanLogProb() + 5.0,
                    "target log-probability must rise substantially: " + before.meanLogProb() + " -> " + after.meanLogProb());
            assertTrue(after.allCorrect(), "the edit prompt now yields the target");
        }
    }

    @Test
    void ftLStaysInsideTheElementwiseConstraint() {
        double eps = 1e-3;
        FtHyperParams hp = FtHyperParams.ftL(1).withOptimisation(10, 5e-3, eps);
        String prompt = "Boris Lund speaks";
        ScoreResult before = lm.score(lm.baseView(), prompt, "Japanese");
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            FtUpdate u = new FtEditor(lm, hp).edit(overlay, Hooks.NONE, List.of(new FtRequest(prompt, "Japanese")));
            assertEquals("FT-L", u.method());
            assertEquals(1, u.deltas().size());
            FtUpdate.LayerDelta d = u.deltas().get(0);
            assertEquals(lm.model().mlpDown(1).weight(), d.weightName());
            assertTrue(d.maxAbs() > 0, "the matrix moved");
            assertTrue(d.maxAbs() <= eps + 1e-7, "max |ΔW| " + d.maxAbs() + " exceeds ε " + eps);
            String name = d.weightName();
            float[] edited = overlay.get(name).toFloatArray();
            float[] base = lm.weights().get(name).toFloatArray();
            assertTrue(maxAbsDiff(base, edited) <= eps + 1e-6, "the applied matrix stays within ε");
            ScoreResult after = lm.score(new ModelView(overlay, Hooks.NONE), prompt, "Japanese");
            System.out.printf("FT-L tiny: steps %d loss %.4f -> %.4f; log P %.2f -> %.2f; max|ΔW| %.2e%n", u.steps(),
                    u.initialLoss(), u.finalLoss(), before.meanLogProb(), after.meanLogProb(), d.maxAbs());
            assertTrue(u.finalLoss() < u.initialLoss(), "the FT-L objective falls");
        }
    }

    @Test
    void overlayIsEditedAndBaseUntouchedAndRevertUndoes() {
        FtHyperParams hp = FtHyperParams.ftM(2).withOptimisation(3, 1e-2, 0);
        String name = lm.model().mlpDown(2).weight();
        float[] base = lm.weights().get(name).toFloatArray();
        ScoreResult baseScore = lm.score(lm.baseView(), "Boris Lund was born in", "Lima");
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            FtUpdate u = new FtEditor(lm, hp).edit(overlay, Hooks.NONE, List.of(new FtRequest("Boris Lund was born in", "Lima")));
            assertEquals(List.of(name), List.copyOf(overlay.replacedNames()));
            assertTrue(maxAbsDiff(base, overlay.get(name).toFloatArray()) > 0, "the overlay holds the edited matrix");
            assertEquals(0.0, maxAbsDiff(base, lm.weights().get(name).toFloatArray()), "the base matrix is untouched");
            assertArrayEquals(baseScore.logProbs(), lm.score(lm.baseView(), "Boris Lund was born in", "Lima").logProbs(), 0f);
            FtEditor.revert(overlay, u);
            assertTrue(maxAbsDiff(base, overlay.get(name).toFloatArray()) < 1e-6, "revert undoes the update");
        }
    }

    @Test
    void aBatchOfTwoEditsAcrossTwoLayers() {
        int last = lm.config().numLayers() - 1;
        FtHyperParams hp = new FtHyperParams(List.of(last - 1, last), 25, 1e-2, 0, "target_new", 2);
        List<FtRequest> reqs = List.of(new FtRequest("Anna Berg was born in", "Lima"),
                new FtRequest("David Moreau speaks", "Japanese"));
        double[] before = new double[2];
        for (int i = 0; i < 2; i++) {
            before[i] = lm.score(lm.baseView(), reqs.get(i).prompt(), reqs.get(i).targetNew()).meanLogProb();
        }
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            FtUpdate u = new FtEditor(lm, hp).edit(overlay, Hooks.NONE, reqs);
            assertEquals(2, u.deltas().size());
            assertEquals(2, overlay.replacedNames().size());
            ModelView view = new ModelView(overlay, Hooks.NONE);
            for (int i = 0; i < 2; i++) {
                ScoreResult after = lm.score(view, reqs.get(i).prompt(), reqs.get(i).targetNew());
                assertTrue(after.meanLogProb() > before[i] + 2.0, "edit " + i + ": " + before[i] + " -> " + after.meanLogProb());
                assertTrue(after.allCorrect(), "edit " + i + " yields its target");
            }
        }
    }

    @Test
    void ftLHandlesMultiTokenTargetsInABatch() {
        int[][] pair = lm.tokenizePair("Clara Lund was born in", "Oslo Nairobi");
        assertTrue(pair[1].length >= 2, "the target is multi-token");
        double eps = 1e-3;
        FtHyperParams hp = new FtHyperParams(List.of(0), 4, 5e-3, eps, "prompt_last", 2);
        List<FtRequest> reqs = List.of(new FtRequest("Clara Lund was born in", "Oslo Nairobi"),
                new FtRequest("The mother tongue of Anna Moreau is", "French"));
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            FtUpdate u = new FtEditor(lm, hp).edit(overlay, Hooks.NONE, reqs);
            assertTrue(u.deltas().get(0).maxAbs() <= eps + 1e-7);
            assertTrue(u.finalLoss() < u.initialLoss(), "the FT-L objective falls: " + u.initialLoss() + " -> " + u.finalLoss());
        }
    }

    @Test
    void layerOutsideTheModelIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FtEditor(lm, FtHyperParams.ftM(lm.config().numLayers())));
        assertTrue(e.getMessage().contains("'layers'"), e.getMessage());
    }
}
