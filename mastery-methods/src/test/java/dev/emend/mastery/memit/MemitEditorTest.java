package dev.emend.mastery.memit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.core.runtime.ScoreResult;
import dev.emend.mastery.TinyFactModel;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.stats.SecondMoment;
import dev.emend.mastery.stats.SecondMomentStats;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MEMIT on the tiny GPT-2 trained to know birthplaces. As for ROME's test, the 4-layer toy reads
 * the subject from the answer position, so the edits use {@code fact_token: last}.
 */
class MemitEditorTest {
    private static LanguageModel lm;
    private static final Map<Integer, SecondMoment> STATS = new HashMap<>();
    private static List<RomeRequest> BATCH;

    /**
     * Three people (all born in Paris), each moved to a different city that is one token: with
     * fact_token last at the last layer, z can only shape the next token, so a multi-token target's
     * later tokens are out of its reach (measured: " Cairo" stays at p ≈ 0 in the z-step).
     */
    @BeforeAll
    static void load() {
        lm = TinyFactModel.load();
        List<String> cities = List.of("Lima", "Oslo", "Rome", "Tokyo", "Cairo", "Athens", "Berlin", "Madrid", "Ottawa",
                "Nairobi", "Warsaw").stream().filter(c -> lm.tokenizer().encode(" " + c).length == 1).toList();
        assertTrue(cities.size() >= 3, "the fixture has single-token cities: " + cities);
        BATCH = List.of(new RomeRequest("Anna Berg was born in", "Anna Berg", cities.get(0)),
                new RomeRequest("Boris Lund was born in", "Boris Lund", cities.get(1)),
                new RomeRequest("Clara Moreau was born in", "Clara Moreau", cities.get(2)));
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static SecondMoment stats(int layer) {
        return STATS.computeIfAbsent(layer, l -> SecondMomentStats.compute(lm, lm.baseView(), l, TinyFactModel.statsCorpus(), 32,
                SecondMomentStats.Progress.NONE));
    }

    private static MemitHyperParams hp(List<Integer> layers) {
        int n = lm.config().numLayers();
        // λ = 20000·d_ff/6400 (GPT-2 XL's trade-off scaled to this d_ff): a strong C term, so the
        // test shows the batch is written even when preservation is weighted heavily.
        double lambda = 20000.0 * lm.model().mlpDown(0).inFeatures() / 6400.0;
        return MemitHyperParams.smallModel(layers, n, lm.model().mlpDown(0).inFeatures()).withFactToken("last")
                .withOptimisation(40, 0.5, 1e-3, 4.0, 0.0625).withMom2(true, lambda);
    }

    @Test
    void keysDoNotDependOnWhichOtherRequestsShareTheForwardPass() {
        // Keys are captured CAPTURE_CHUNK requests per forward pass (memory bound for big batches),
        // so a request's key must not depend on its batch-mates or on the padding they bring.
        int n = lm.config().numLayers();
        MemitEditor ed = new MemitEditor(lm, hp(List.of(n - 2, n - 1)), MemitEditorTest::stats);
        double[][] together = ed.keys(lm.baseView(), BATCH, n - 2);
        for (int i = 0; i < BATCH.size(); i++) {
            double[] alone = ed.keys(lm.baseView(), List.of(BATCH.get(i)), n - 2)[0];
            for (int p = 0; p < alone.length; p++) {
                assertEquals(alone[p], together[i][p], 1e-4 * (1 + Math.abs(alone[p])), "request " + i + " unit " + p);
            }
        }
    }

    @Test
    void aRequestsTargetDoesNotDependOnItsBatchMates() {
        // The z-step optimises all requests of a batch as rows of one forward pass, each with its own
        // δ, Adam state and early stop: alone or together, a request must get the same z.
        int n = lm.config().numLayers();
        MemitEditor ed = new MemitEditor(lm, hp(List.of(n - 2, n - 1)), MemitEditorTest::stats);
        MemitEditor.Targets together = ed.targets(lm.baseView(), BATCH);
        for (int i = 0; i < BATCH.size(); i++) {
            MemitEditor.Targets alone = ed.targets(lm.baseView(), List.of(BATCH.get(i)));
            assertEquals(alone.steps()[0], together.steps()[i], "request " + i + " steps");
            double diff = 0;
            double norm = 0;
            for (int j = 0; j < alone.z()[0].length; j++) {
                diff += Math.pow(alone.z()[0][j] - together.z()[i][j], 2);
                norm += Math.pow(alone.z()[0][j], 2);
            }
            assertTrue(Math.sqrt(diff / norm) < 1e-5, "request " + i + ": z differs by " + Math.sqrt(diff / norm));
        }
    }

    @Test
    void theFirstCaptureTakenByTheZStepEqualsACaptureOfItsOwn() {
        // The z-step's clean pass hands the first layer's keys and the stream entering it to the
        // spreading (MemitEditor.FirstCapture); the update must be the one a separate capture gives,
        // at the last token and at the subject (where the rows go on past the lookup), at layer 0
        // (the stream there is the embeddings) and higher.
        int n = lm.config().numLayers();
        for (MemitHyperParams p : List.of(hp(List.of(n - 2, n - 1)), hp(List.of(0, 1, n - 1)).withFactToken("subject_last"))) {
            MemitEditor ed = new MemitEditor(lm, p, MemitEditorTest::stats);
            MemitEditor.Targets t = ed.targets(lm.baseView(), BATCH);
            assertTrue(t.first() != null && t.first().tap().layer() == p.layers().get(0));
            MemitUpdate shared = ed.compute(lm.baseView(), BATCH, t, "MEMIT", null);
            MemitEditor.Targets bare = new MemitEditor.Targets(t.z(), t.deltaNorms(), t.residualNorms(), t.steps(),
                    t.probabilities(), null);
            MemitUpdate own = ed.compute(lm.baseView(), BATCH, bare, "MEMIT", null);
            // On other weights the tap does not apply, and the capture runs.
            try (OverlayWeights other = new OverlayWeights(lm.weights(), lm.manager())) {
                MemitUpdate elsewhere = ed.compute(new ModelView(other, Hooks.NONE), BATCH, t, "MEMIT", null);
                assertEquals(0.0, relativeDifference(own, elsewhere), 1e-6, "a tap of other weights is not used");
            }
            double diff = relativeDifference(own, shared);
            assertTrue(diff < 1e-5, p.factToken() + " " + p.layers() + ": ΔW differs by " + diff);
        }
    }

    /** The largest relative Frobenius difference of the two updates' ΔW over their layers. */
    private static double relativeDifference(MemitUpdate a, MemitUpdate b) {
        double worst = 0;
        for (int l = 0; l < a.layers().size(); l++) {
            float[] x = MemitEditor.storedDelta(a.layers().get(l));
            float[] y = MemitEditor.storedDelta(b.layers().get(l));
            double d = 0;
            double s = 0;
            for (int p = 0; p < x.length; p++) {
                d += Math.pow(x[p] - y[p], 2);
                s += Math.pow(x[p], 2);
            }
            assertTrue(s > 0, "layer " + a.layers().get(l).layer() + " is updated");
            worst = Math.max(worst, Math.sqrt(d / s));
        }
        return worst;
    }

    @Test
    void theZStepReportsItsProgressOncePerRequest() {
        int n = lm.config().numLayers();
        MemitEditor ed = new MemitEditor(lm, hp(List.of(n - 1)).withOptimisation(3, 0.5, 1e-3, 4.0, 0.0625),
                MemitEditorTest::stats);
        List<String> stages = new java.util.ArrayList<>();
        List<Double> fractions = new java.util.ArrayList<>();
        MemitEditor.Targets t = ed.targets(lm.baseView(), BATCH, (stage, fraction) -> {
            stages.add(stage);
            fractions.add(fraction);
        });
        assertEquals(BATCH.size(), t.z().length);
        assertEquals(List.of("z-step of 3 requests", "z-step of 3 requests", "z-step of 3 requests"), stages);
        assertEquals(1.0, fractions.get(2), 1e-12);
        assertTrue(fractions.get(0) < fractions.get(1) && fractions.get(1) < fractions.get(2), fractions.toString());
    }

    @Test
    void batchOfThreeRaisesEveryTargetWithRankAtMostThreeAndLeavesTheBaseAlone() {
        int n = lm.config().numLayers();
        MemitEditor ed = new MemitEditor(lm, hp(List.of(n - 2, n - 1)), MemitEditorTest::stats);
        Map<String, float[]> base = new HashMap<>();
        for (int l : List.of(n - 2, n - 1)) {
            String w = lm.model().mlpDown(l).weight();
            base.put(w, lm.baseView().weights().get(w).toFloatArray());
        }
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            double[] before = new double[BATCH.size()];
            for (int i = 0; i < BATCH.size(); i++) {
                before[i] = lm.score(lm.baseView(), BATCH.get(i).prompt(), BATCH.get(i).targetNew()).meanLogProb();
            }
            MemitUpdate u = ed.edit(overlay, Hooks.NONE, BATCH);
            assertEquals(2, u.layers().size());
            ModelView edited = new ModelView(overlay, Hooks.NONE);
            for (int i = 0; i < BATCH.size(); i++) {
                RomeRequest r = BATCH.get(i);
                ScoreResult after = lm.score(edited, r.prompt(), r.targetNew());
                System.out.printf("MEMIT tiny: %s -> %s: log P %.2f -> %.2f (|δ| %.2f, |h| %.2f, z-step p %.3f, steps %d)%n",
                        r.subject(), r.targetNew(), before[i], after.meanLogProb(), u.deltaNorms()[i], u.residualNorms()[i],
                        u.targetProbabilities()[i], u.steps()[i]);
            }
            for (int i = 0; i < BATCH.size(); i++) {
                RomeRequest r = BATCH.get(i);
                ScoreResult after = lm.score(edited, r.prompt(), r.targetNew());
                assertTrue(after.meanLogProb() > before[i] + 3.0,
                        r.subject() + ": target log-probability must rise a lot: " + before[i] + " -> " + after.meanLogProb());
                assertTrue(u.deltaNorms()[i] <= hp(List.of(n - 1)).clampNormFactor() * u.residualNorms()[i] * (1 + 1e-6));
            }
            for (MemitUpdate.LayerDelta d : u.layers()) {
                assertEquals(BATCH.size(), d.rank());
                float[] stored = MemitEditor.storedDelta(d);
                float[] w0 = base.get(d.weightName());
                float[] w1 = overlay.get(d.weightName()).toFloatArray();
                double maxDiff = 0;
                double scale = 0;
                for (int p = 0; p < stored.length; p++) {
                    maxDiff = Math.max(maxDiff, Math.abs(w1[p] - w0[p] - stored[p]));
                    scale = Math.max(scale, Math.abs(stored[p]));
                }
                assertTrue(scale > 0, "layer " + d.layer() + " is updated");
                assertTrue(maxDiff < 1e-4 * Math.max(1, scale), "overlay holds W + A·B at layer " + d.layer() + ": " + maxDiff);
                int rank = numericalRank(stored, d.dff(), d.dModel());
                assertTrue(rank <= BATCH.size(), "ΔW rank " + rank + " exceeds the batch size");
                assertEquals(0.0, maxAbsDiff(w0, lm.baseView().weights().get(d.weightName()).toFloatArray()),
                        "the base matrix is untouched");
            }
            MemitEditor.revert(overlay, u);
            for (MemitUpdate.LayerDelta d : u.layers()) {
                assertTrue(maxAbsDiff(base.get(d.weightName()), overlay.get(d.weightName()).toFloatArray()) < 1e-4,
                        "revert undoes layer " + d.layer());
            }
        }
    }

    @Test
    void computeDoesNotTouchTheCallersWeights() {
        int n = lm.config().numLayers();
        MemitEditor ed = new MemitEditor(lm, hp(List.of(n - 1)).withOptimisation(3, 0.5, 1e-3, 4.0, 0.0625),
                MemitEditorTest::stats);
        try (OverlayWeights overlay = new OverlayWeights(lm.weights(), lm.manager())) {
            MemitUpdate u = ed.compute(new ModelView(overlay, Hooks.NONE), BATCH.subList(0, 2));
            assertTrue(overlay.replacedNames().isEmpty(), "compute only returns the update");
            assertEquals(2, u.layers().get(0).rank());
            assertNotEquals(0f, u.layers().get(0).a()[0]);
        }
    }

    /** Rank by Gaussian elimination with partial pivoting, relative tolerance 1e-4. */
    static int numericalRank(float[] m, int rows, int cols) {
        double[][] a = new double[rows][cols];
        double max = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                a[i][j] = m[i * cols + j];
                max = Math.max(max, Math.abs(a[i][j]));
            }
        }
        double tol = 1e-4 * max;
        int rank = 0;
        for (int c = 0; c < cols && rank < rows; c++) {
            int piv = rank;
            for (int i = rank; i < rows; i++) {
                if (Math.abs(a[i][c]) > Math.abs(a[piv][c])) {
                    piv = i;
                }
            }
            if (Math.abs(a[piv][c]) <= tol) {
                continue;
            }
            double[] t = a[piv];
            a[piv] = a[rank];
            a[rank] = t;
            for (int i = rank + 1; i < rows; i++) {
                double f = a[i][c] / a[rank][c];
                for (int j = c; j < cols; j++) {
                    a[i][j] -= f * a[rank][j];
                }
            }
            rank++;
        }
        return rank;
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
