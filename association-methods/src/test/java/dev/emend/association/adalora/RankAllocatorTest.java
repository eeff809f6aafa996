package dev.emend.association.adalora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The budget schedule and masking of {@link RankAllocator} on synthetic parameters and gradients. */
class RankAllocatorTest {
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /**
     * One {@link RankAllocator#afterStep} on engine copies of {@code params} and {@code grads}; the
     * parameters as the allocator left them (masked λ zeroed in place) are copied back.
     */
    private static int afterStep(RankAllocator a, int step, float[][] params, float[][] grads) {
        NDArray[] p = new NDArray[params.length];
        NDArray[] g = new NDArray[grads.length];
        for (int k = 0; k < params.length; k++) {
            p[k] = manager.create(params[k]);
            g[k] = manager.create(grads[k]);
        }
        int kept = a.afterStep(step, p, g);
        for (int k = 0; k < params.length; k++) {
            params[k] = p[k].toFloatArray();
            p[k].close();
            g[k].close();
        }
        return kept;
    }

    private static AdaLoraHparams hp(int initR, int targetR, int tinit, int tfinal, int deltaT, int steps) {
        return new AdaLoraHparams(List.of(), List.of("c_proj"), initR, targetR, tinit, tfinal, deltaT, 0.85, 0.85, 0.5, 32, 5e-3,
                steps, 0);
    }

    /** P [out, r], λ [r], Q [r, in] per matrix, random. */
    private static float[][] randomParams(Random rnd, int[] outs, int[] ins, int r) {
        float[][] p = new float[3 * outs.length][];
        for (int t = 0; t < outs.length; t++) {
            p[3 * t] = random(rnd, outs[t] * r);
            p[3 * t + 1] = random(rnd, r);
            p[3 * t + 2] = random(rnd, r * ins[t]);
        }
        return p;
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    @Test
    void budgetFollowsTheCubicScheduleBetweenWarmUpAndFinalSteps() {
        // 2 matrices, init 12 -> target 8: b0 = 24, bT = 16; T = 10, tinit 2, tfinal 3: shrinking over steps 3..6
        RankAllocator a = new RankAllocator(new int[] {4, 4}, new int[] {5, 5}, hp(12, 8, 2, 3, 1, 10), manager);
        int[] expected = {24, 24, 24, // steps 0..2: warm-up
            16 + 4, // step 3: 8 * (1 - 1/5)^3 = 4.096
            16 + 1, // step 4: 8 * 0.6^3 = 1.728
            16, 16, // steps 5, 6: 8 * 0.4^3 = 0.512, 8 * 0.2^3 = 0.064
            16, 16, 16, 16}; // step 7 = T - tfinal onwards: the target
        for (int t = 0; t <= 10; t++) {
            assertEquals(expected[t], a.budget(t), "step " + t);
        }
    }

    @Test
    void maskingKeepsExactlyTheScheduledBudgetAndFreezesTheFinalPattern() {
        int[] outs = {6, 3, 5};
        int[] ins = {4, 7, 2};
        int r = 6;
        AdaLoraHparams h = hp(r, 2, 2, 4, 2, 16);
        RankAllocator a = new RankAllocator(outs, ins, h, manager);
        Random rnd = new Random(7);
        float[][] params = randomParams(rnd, outs, ins, r);
        int last = r * outs.length;
        List<Integer> kept = new ArrayList<>();
        boolean[][] finalPattern = null;
        for (int step = 1; step <= 16; step++) {
            float[][] grads = randomParams(rnd, outs, ins, r);
            // the optimiser would revive masked values: the allocator must zero them again
            for (int t = 0; t < outs.length; t++) {
                for (int i = 0; i < r; i++) {
                    params[3 * t + 1][i] += 0.1f;
                }
            }
            int k = afterStep(a, step, params, grads);
            kept.add(k);
            if (step <= 2) {
                assertEquals(r * outs.length, k, "warm-up masks nothing (step " + step + ")");
            } else if (step < 12 && step % 2 == 1) {
                assertEquals(last, k, "deltaT = 2: odd steps keep the last allocation (step " + step + ")");
            } else {
                assertEquals(a.budget(step), k, "step " + step);
            }
            last = k;
            for (int t = 0; t < outs.length; t++) {
                for (int i = 0; i < r; i++) {
                    if (a.masked(t, i)) {
                        assertTrue(params[3 * t + 1][i] == 0f, "masked lambda is zero (±0), got " + params[3 * t + 1][i]);
                    }
                }
            }
            if (step == 12) {
                assertTrue(a.finalised());
                finalPattern = pattern(a, outs.length, r);
            } else if (step > 12) {
                assertArrayEquals(finalPattern, pattern(a, outs.length, r), "fixed after the final allocation");
            } else {
                assertFalse(a.finalised());
            }
        }
        assertEquals(2 * outs.length, kept.get(kept.size() - 1), "target_r per matrix on average at the end");
        int total = 0;
        for (int[] idx : a.keptIndices()) {
            total += idx.length;
        }
        assertEquals(2 * outs.length, total);
    }

    private static boolean[][] pattern(RankAllocator a, int n, int r) {
        boolean[][] p = new boolean[n][r];
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < r; i++) {
                p[t][i] = a.masked(t, i);
            }
        }
        return p;
    }

    @Test
    void theMostSensitiveTripletsStayAcrossMatrices() {
        // two matrices of rank 3; one step straight to the final allocation (T = 1): keep 2 of 6.
        int[] outs = {2, 2};
        int[] ins = {2, 2};
        RankAllocator a = new RankAllocator(outs, ins, hp(3, 1, 0, 0, 1, 1), manager);
        float[][] params = new float[6][];
        float[][] grads = new float[6][];
        for (int k = 0; k < 6; k++) {
            params[k] = new float[k % 3 == 1 ? 3 : 6];
            grads[k] = new float[params[k].length];
            java.util.Arrays.fill(params[k], 1f);
        }
        // |w·g| of lambda: matrix 0 triplet 2 and matrix 1 triplet 0 are the sensitive ones
        grads[1] = new float[] {0.1f, 0.2f, 5f};
        grads[4] = new float[] {4f, 0.3f, 0.1f};
        assertEquals(2, afterStep(a, 1, params, grads));
        assertArrayEquals(new int[] {2}, a.keptIndices()[0]);
        assertArrayEquals(new int[] {0}, a.keptIndices()[1]);
        assertArrayEquals(new float[] {0f, 0f, 1f}, params[1]);
        assertArrayEquals(new float[] {1f, 0f, 0f}, params[4]);
    }
}
