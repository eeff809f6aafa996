package dev.emend.mastery.alphaedit;

import dev.emend.mastery.linalg.SymmetricEigen;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.model.Hooks;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import dev.emend.mastery.TinyFactModel;
import dev.emend.mastery.memit.MemitEditor;
import dev.emend.mastery.memit.MemitHyperParams;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.rome.RomeRequest;
import dev.emend.mastery.stats.CovarianceCache;
import dev.emend.mastery.stats.SecondMoment;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AlphaEdit on the tiny GPT-2 that knows birthplaces (as MEMIT's test: {@code fact_token: last},
 * layers [2, 3], single-token target cities).
 */
class AlphaEditEditorTest {
    @TempDir
    static Path statsDir;

    private static LanguageModel lm;
    private static CovarianceCache covariances;
    private static ProjectorCache projectors;
    private static final Map<Integer, NullSpaceProjector> P = new HashMap<>();
    private static List<RomeRequest> edits;
    private static List<Integer> layers;
    /** Set from the fixture's spectrum: see {@link #threshold()}. */
    private static double threshold;
    /** α (L2), set from the edit keys' energy in the null space: see {@link #alpha()}. */
    private static double alpha;

    @BeforeAll
    static void load() {
        lm = TinyFactModel.load();
        covariances = new CovarianceCache(statsDir, 32);
        projectors = new ProjectorCache(covariances);
        int n = lm.config().numLayers();
        layers = List.of(n - 2, n - 1);
        List<String> cities = List.of("Lima", "Oslo", "Rome", "Tokyo", "Cairo", "Athens", "Berlin", "Madrid", "Ottawa",
                "Nairobi", "Warsaw").stream().filter(c -> lm.tokenizer().encode(" " + c).length == 1).toList();
        assertTrue(cities.size() >= 3, "the fixture has single-token cities: " + cities);
        edits = List.of(new RomeRequest("Anna Berg was born in", "Anna Berg", cities.get(0)),
                new RomeRequest("Boris Lund was born in", "Boris Lund", cities.get(1)),
                new RomeRequest("Clara Moreau was born in", "Clara Moreau", cities.get(2)));
        threshold = threshold();
        alpha = alpha();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static SecondMoment c(int layer) {
        return covariances.get(lm, layer, TinyFactModel.statsCorpus(), 100_000, (d, t, k) -> { }).moment();
    }

    /**
     * The reference's 2e-2 is absolute, tuned to GPT-2 XL's key scale; the toy's keys have
     * another scale, so the test takes the median eigenvalue of C at the first edited layer (a
     * null space of about half of d_ff, far larger than the batch).
     */
    private static double threshold() {
        double[] values = SymmetricEigen.of(c(layers.get(0)).toArray(), c(layers.get(0)).dim()).values();
        double t = values[values.length / 2];
        System.out.printf("AlphaEdit tiny: C eigenvalues min %.3g, q1 %.3g, median %.3g, max %.3g%n", values[0], t,
                values[values.length / 2], values[values.length - 1]);
        return t;
    }

    /**
     * The edit is written to the extent ‖Ûᵀk‖² ≫ α (k·ΔW-direction ≈ s/(s+α) of R for one key,
     * s = ‖Ûᵀk‖²), so like the threshold α must follow the key scale: 1 % of the smallest s
     * among the edit keys at the edited layers.
     */
    private static double alpha() {
        MemitEditor probe = new MemitEditor(lm, hp0().memit(), null);
        double min = Double.MAX_VALUE;
        for (int layer : layers) {
            for (double[] k : probe.keys(lm.baseView(), edits, layer)) {
                double[] y = projector(layer).coordinates(k);
                double s = 0;
                double all = 0;
                for (double v : y) {
                    s += v * v;
                }
                for (double v : k) {
                    all += v * v;
                }
                System.out.printf("AlphaEdit tiny: layer %d edit key ‖k‖² %.3g, in the null space %.3g%n", layer, all, s);
                min = Math.min(min, s);
            }
        }
        return 0.01 * min;
    }

    private static NullSpaceProjector projector(int layer) {
        return P.computeIfAbsent(layer, l -> projectors.get(lm, l, TinyFactModel.statsCorpus(), 100_000, threshold,
                ProjectorCache.Progress.NONE).projector());
    }

    private static AlphaEditHyperParams hp0() {
        return AlphaEditHyperParams.smallModel(layers, lm.config().numLayers()).withFactToken("last")
                .withOptimisation(40, 0.5, 1e-3, 4.0, 0.0625).withNullSpace(threshold, 1);
    }

    private static AlphaEditHyperParams hp() {
        return hp0().withNullSpace(threshold, alpha);
    }

    private static MemitHyperParams memitHp() {
        return hp().memit().withMom2(true, 10);
    }

    private static double logP(ModelView v, RomeRequest r) {
        return lm.score(v, r.prompt(), r.targetNew()).meanLogProb();
    }

    /** tr(ΔW C ΔWᵀ) = E‖ΔW k₀‖² over the corpus keys, with ΔW = A·B. */
    private static double preservedDisturbance(MemitUpdate.LayerDelta d, SecondMoment c) {
        int n = d.rank();
        int dff = d.dff();
        // BCBᵀ (n × n), then tr(A (BCBᵀ) Aᵀ)
        double[][] bc = new double[n][dff];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < dff; p++) {
                double bp = d.b()[i * dff + p];
                if (bp == 0) {
                    continue;
                }
                for (int q = 0; q < dff; q++) {
                    bc[i][q] += bp * c.get(p, q);
                }
            }
        }
        double[][] bcb = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < dff; q++) {
                    s += bc[i][q] * d.b()[j * dff + q];
                }
                bcb[i][j] = s;
            }
        }
        double tr = 0;
        for (int row = 0; row < d.dModel(); row++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    tr += d.a()[row * n + i] * bcb[i][j] * d.a()[row * n + j];
                }
            }
        }
        return tr;
    }

    /**
     * One edit (the toy's corpus holds the edited sentences themselves, so the persons' keys are
     * preserved keys and their person-specific parts lie mostly outside the null space: a batch of
     * three " in"-position keys conflicts there, measured: Anna Berg only −9.8 → −7.2).
     */
    @Test
    void projectedUpdateWritesTheEditAndLeavesPreservedKeysAlmostUnchanged() {
        List<RomeRequest> edits = AlphaEditEditorTest.edits.subList(0, 1);
        AlphaEditEditor alpha = new AlphaEditEditor(lm, hp(), AlphaEditEditorTest::projector);
        MemitEditor memit = new MemitEditor(lm, memitHp(), l -> c(l));
        try (OverlayWeights a = new OverlayWeights(lm.weights(), lm.manager());
             OverlayWeights m = new OverlayWeights(lm.weights(), lm.manager())) {
            AlphaEditMemory memory = new AlphaEditMemory();
            AlphaEditUpdate ua = alpha.edit(a, Hooks.NONE, memory, edits);
            MemitUpdate um = memit.edit(m, Hooks.NONE, edits);
            ModelView va = new ModelView(a, Hooks.NONE);
            ModelView vm = new ModelView(m, Hooks.NONE);
            for (RomeRequest r : edits) {
                double before = logP(lm.baseView(), r);
                System.out.printf("AlphaEdit tiny: %s -> %s: log P %.2f -> AlphaEdit %.2f, MEMIT %.2f%n", r.subject(),
                        r.targetNew(), before, logP(va, r), logP(vm, r));
                assertTrue(logP(va, r) > before + 3.0, r.subject() + ": AlphaEdit must raise the target a lot: " + before
                        + " -> " + logP(va, r));
            }
            for (int i = 0; i < layers.size(); i++) {
                int layer = layers.get(i);
                NullSpaceProjector p = projector(layer);
                MemitUpdate.LayerDelta da = ua.weights().layers().get(i);
                MemitUpdate.LayerDelta dm = um.layers().get(i);
                assertEquals(layer, da.layer());
                // E‖ΔW k₀‖² over the corpus keys, split into the part the preserved keys carry in
                // C's principal directions (eigenvalue ≥ threshold, where AlphaEdit's projection
                // promises ΔW k₀ = 0) and the rest. MEMIT's solve minimises λ·E‖ΔW k₀‖² + fit
                // error over ALL directions, so its total can be the smaller one (measured on this
                // toy: 4.3 vs 0.7 at the first layer); what AlphaEdit guarantees is the principal
                // part, which MEMIT does not protect.
                double sa = preservedDisturbance(principal(da, p), c(layer));
                double sm = preservedDisturbance(principal(dm, p), c(layer));
                double ta = preservedDisturbance(da, c(layer));
                double tm = preservedDisturbance(dm, c(layer));
                System.out.printf("AlphaEdit tiny: layer %d null-space rank %d of %d; E‖ΔW k0‖² principal part: AlphaEdit"
                        + " %.3g, MEMIT (λ %.0f) %.3g; total: AlphaEdit %.3g, MEMIT %.3g%n", layer, p.rank(), p.dff(), sa,
                        memitHp().mom2UpdateWeight(), sm, ta, tm);
                assertTrue(sm > 0, "MEMIT's update reaches the principal directions");
                assertTrue(sa < 1e-6 * sm, "preserved keys' principal part sees nothing of AlphaEdit's update: " + sa
                        + " vs MEMIT " + sm);
                assertTrue(ta / frob2(da) < threshold * 1.0001,
                        "AlphaEdit's update only sees directions with C-eigenvalue < threshold");
                // B's rows lie in range(P): projecting them changes nothing
                for (int row = 0; row < da.rank(); row++) {
                    double[] b = new double[da.dff()];
                    for (int q = 0; q < da.dff(); q++) {
                        b[q] = da.b()[row * da.dff() + q];
                    }
                    double[] pb = p.project(b);
                    double diff = 0;
                    double norm = 0;
                    for (int q = 0; q < b.length; q++) {
                        diff += (pb[q] - b[q]) * (pb[q] - b[q]);
                        norm += b[q] * b[q];
                    }
                    assertTrue(diff < 1e-8 * norm, "row " + row + " of B is in the null space");
                }
            }
            assertEquals(edits.size(), memory.keyCount(layers.get(0)));
        }
    }

    /** ΔW (I − P): B's rows with their null-space part removed. */
    private static MemitUpdate.LayerDelta principal(MemitUpdate.LayerDelta d, NullSpaceProjector p) {
        float[] b = new float[d.b().length];
        for (int row = 0; row < d.rank(); row++) {
            double[] x = new double[d.dff()];
            for (int q = 0; q < d.dff(); q++) {
                x[q] = d.b()[row * d.dff() + q];
            }
            double[] px = p.project(x);
            for (int q = 0; q < d.dff(); q++) {
                b[row * d.dff() + q] = (float) (x[q] - px[q]);
            }
        }
        return new MemitUpdate.LayerDelta(d.layer(), d.weightName(), d.layout(), d.rank(), d.dModel(), d.dff(), d.a(), b);
    }

    /** ‖A·B‖_F² = tr(AᵀA · BBᵀ). */
    private static double frob2(MemitUpdate.LayerDelta d) {
        int n = d.rank();
        double[][] ata = new double[n][n];
        double[][] bbt = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                for (int row = 0; row < d.dModel(); row++) {
                    ata[i][j] += (double) d.a()[row * n + i] * d.a()[row * n + j];
                }
                for (int q = 0; q < d.dff(); q++) {
                    bbt[i][j] += (double) d.b()[i * d.dff() + q] * d.b()[j * d.dff() + q];
                }
            }
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                s += ata[i][j] * bbt[j][i];
            }
        }
        return s;
    }


    /** Sum over the update's layers of |ΔW k| for the given layers' keys (ΔW = A·B, math orientation). */
    private static double keyResponse(dev.emend.mastery.memit.MemitUpdate update, List<AlphaEditUpdate.LayerKeys> keys) {
        double total = 0;
        for (dev.emend.mastery.memit.MemitUpdate.LayerDelta d : update.layers()) {
            for (AlphaEditUpdate.LayerKeys lk : keys) {
                if (lk.layer() != d.layer()) {
                    continue;
                }
                for (int key = 0; key < lk.n(); key++) {
                    double[] bk = new double[d.rank()];
                    for (int r = 0; r < d.rank(); r++) {
                        double sum = 0;
                        for (int i = 0; i < d.dff(); i++) {
                            sum += (double) d.b()[r * d.dff() + i] * lk.keys()[key * lk.dff() + i];
                        }
                        bk[r] = sum;
                    }
                    double sq = 0;
                    for (int o = 0; o < d.dModel(); o++) {
                        double v = 0;
                        for (int r = 0; r < d.rank(); r++) {
                            v += (double) d.a()[o * d.rank() + r] * bk[r];
                        }
                        sq += v * v;
                    }
                    total += Math.sqrt(sq);
                }
            }
        }
        return total;
    }

    @Test
    void aSecondSequentialEditKeepsTheFirstAndTheMemoryReplays() {
        AlphaEditEditor alpha = new AlphaEditEditor(lm, hp(), AlphaEditEditorTest::projector);
        RomeRequest first = edits.get(0);
        RomeRequest second = new RomeRequest("David Lund was born in", "David Lund", edits.get(1).targetNew());
        try (OverlayWeights o = new OverlayWeights(lm.weights(), lm.manager())) {
            ModelView v = new ModelView(o, Hooks.NONE);
            AlphaEditMemory memory = new AlphaEditMemory();
            double firstBefore = logP(v, first);
            AlphaEditUpdate u1 = alpha.edit(o, Hooks.NONE, memory, List.of(first));
            double firstAfter = logP(v, first);
            double secondBefore = logP(v, second);
            AlphaEditUpdate u2 = alpha.edit(o, Hooks.NONE, memory, List.of(second));
            double firstAfterSecond = logP(v, first);
            double secondAfter = logP(v, second);
            System.out.printf("AlphaEdit tiny sequential: first %.2f -> %.2f -> %.2f after the second; second %.2f -> %.2f%n",
                    firstBefore, firstAfter, firstAfterSecond, secondBefore, secondAfter);
            assertTrue(firstAfter > firstBefore + 3.0, "the first edit is written");
            assertTrue(secondAfter > secondBefore + 3.0, "the second edit is written");
            assertTrue(firstAfterSecond > firstAfter - 1.0, "the second edit keeps the first: " + firstAfter + " -> "
                    + firstAfterSecond);
            // The same second edit solved without the first's keys in the memory disturbs it more.
            try (OverlayWeights forgetful = new OverlayWeights(lm.weights(), lm.manager())) {
                ModelView fv = new ModelView(forgetful, Hooks.NONE);
                MemitEditor.apply(forgetful, u1.weights());
                AlphaEditUpdate blind = alpha.compute(fv, new AlphaEditMemory(), List.of(second));
                MemitEditor.apply(forgetful, blind.weights());
                System.out.printf("AlphaEdit tiny sequential: first after the second without memory %.3f, with %.3f%n",
                        logP(fv, first), firstAfterSecond);
                // What the memory does, independent of how much this fixture's first answer happens to
                // move: it penalises the second update's response at the first edit's keys, so that
                // response is smaller than the same update solved without the memory. (The answer's
                // log-prob alone is fixture-dependent: on the 2026-12-06 machine the blind update
                // moved it by only 0.005, less than the remembering one.)
                double remembered = keyResponse(u2.weights(), u1.memoryKeys());
                double blindResponse = keyResponse(blind.weights(), u1.memoryKeys());
                System.out.printf("AlphaEdit tiny sequential: |dW2 k1| with memory %.4f, without %.4f%n", remembered, blindResponse);
                assertTrue(remembered < blindResponse, "the memory protects the first edit's keys: " + remembered
                        + " with it, " + blindResponse + " without");
            }
            assertEquals(2, memory.keyCount(layers.get(0)));

            // Replaying the committed updates rebuilds the same memory; removing them empties it.
            AlphaEditMemory replayed = new AlphaEditMemory();
            replayed.add(u1);
            replayed.add(u2);
            int dff = lm.model().mlpDown(layers.get(0)).inFeatures();
            assertArrayEquals(memory.momentCopy(layers.get(0), dff), replayed.momentCopy(layers.get(0), dff), 0.0);
            AlphaEditEditor.revert(o, memory, u2);
            assertEquals(1, memory.keyCount(layers.get(0)));
            assertTrue(Math.abs(logP(v, first) - firstAfter) < 0.05, "reverting the second restores the first edit's state");
            memory.remove(u1);
            assertEquals(0, memory.keyCount(layers.get(0)));
            assertArrayEquals(new double[dff * dff], memory.momentCopy(layers.get(0), dff), 0.0);
            assertThrows(IllegalStateException.class, () -> memory.remove(u1), "cannot remove keys twice");
        }
    }

    @Test
    void computeLeavesWeightsAndMemoryAlone() {
        AlphaEditEditor alpha = new AlphaEditEditor(lm, hp().withOptimisation(3, 0.5, 1e-3, 4.0, 0.0625),
                AlphaEditEditorTest::projector);
        try (OverlayWeights o = new OverlayWeights(lm.weights(), lm.manager())) {
            AlphaEditMemory memory = new AlphaEditMemory();
            AlphaEditUpdate u = alpha.compute(new ModelView(o, Hooks.NONE), memory, edits.subList(0, 2));
            assertTrue(o.replacedNames().isEmpty(), "compute only returns the update");
            assertEquals(0, memory.keyCount(layers.get(0)));
            assertEquals(layers.size(), u.memoryKeys().size());
            assertEquals(2, u.memoryKeys().get(0).n());
            assertNotEquals(0f, u.weights().layers().get(0).b()[0]);
        }
    }

    @Test
    void projectorCacheHitEqualsMissAndTheThresholdIsPartOfTheKey() {
        int layer = layers.get(0);
        ProjectorCache.Lookup first = projectors.get(lm, layer, TinyFactModel.statsCorpus(), 100_000, threshold * 1.5,
                ProjectorCache.Progress.NONE);
        ProjectorCache.Lookup again = projectors.get(lm, layer, TinyFactModel.statsCorpus(), 100_000, threshold * 1.5,
                ProjectorCache.Progress.NONE);
        ProjectorCache.Lookup other = projectors.get(lm, layer, TinyFactModel.statsCorpus(), 100_000, threshold * 3,
                ProjectorCache.Progress.NONE);
        assertTrue(again.fromCache());
        assertEquals(first.file(), again.file());
        assertNotEquals(first.file(), other.file());
        assertArrayEquals(first.projector().basis(), again.projector().basis(), 0.0);
        assertTrue(other.projector().rank() >= first.projector().rank(), "a higher threshold keeps more directions");
    }

    @Test
    void badHyperParametersAreRejectedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hp().withNullSpace(0, 10));
        assertTrue(e.getMessage().contains("'nullspace_threshold'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> hp().withNullSpace(2e-2, -1));
        assertTrue(e.getMessage().contains("'L2'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> hp().withLayers(List.of(2, 1)));
        assertTrue(e.getMessage().contains("invalid AlphaEdit hyperparameter 'layers'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new AlphaEditEditor(lm, hp().withLayers(List.of(2, 9)), AlphaEditEditorTest::projector));
        assertTrue(e.getMessage().contains("'layers'") && e.getMessage().contains("0..3"), e.getMessage());
    }
}
