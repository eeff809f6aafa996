package dev.emend.core.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AdamTest {
    @Test
    void theFirstStepMovesEveryCoordinateByTheLearningRateAgainstItsGradient() {
        // Bias correction makes m̂ = g and v̂ = g² after one step: the update is lr·g/(|g|+ε).
        double[] w = {1, -2, 3};
        new Adam(3, 0.1).step(w, new double[] {4, -0.5, 1e-3});
        assertEquals(1 - 0.1 * 4 / (4 + 1e-8), w[0], 1e-12);
        assertEquals(-2 + 0.1 * 0.5 / (0.5 + 1e-8), w[1], 1e-12);
        assertEquals(3 - 0.1 * 1e-3 / (1e-3 + 1e-8), w[2], 1e-12);
    }

    @Test
    void secondStepFollowsTheMomentRecurrences() {
        // Hand-computed for one coordinate: g1 = 1, g2 = 3, lr 0.5.
        double[] w = {0};
        Adam a = new Adam(1, 0.5);
        a.step(w, new double[] {1});
        a.step(w, new double[] {3});
        double m = 0.9 * 0.1 + 0.1 * 3;
        double v = 0.999 * 0.001 + 0.001 * 9;
        double expected = -0.5 / (1 + 1e-8) - 0.5 * (m / (1 - 0.81)) / (Math.sqrt(v / (1 - 0.998001)) + 1e-8);
        assertEquals(expected, w[0], 1e-12);
        assertEquals(2, a.steps());
    }

    @Test
    void floatAndDoubleParametersTakeTheSameSteps() {
        float[] f = {0.5f, -1.25f};
        double[] d = {0.5, -1.25};
        Adam af = new Adam(2, 0.01);
        Adam ad = new Adam(2, 0.01);
        for (int s = 0; s < 20; s++) {
            float[] g = {(float) (2 * f[0]), (float) (2 * f[1] - 1)};
            af.step(f, g);
            ad.step(d, new double[] {2 * d[0], 2 * d[1] - 1});
        }
        assertEquals(d[0], f[0], 1e-6);
        assertEquals(d[1], f[1], 1e-6);
    }

    @Test
    void minimisesAQuadratic() {
        double[] w = {5, -3};
        Adam a = new Adam(2, 0.1);
        for (int s = 0; s < 500; s++) {
            a.step(w, new double[] {2 * (w[0] - 1), 2 * (w[1] + 2)});
        }
        assertTrue(Math.abs(w[0] - 1) < 1e-2 && Math.abs(w[1] + 2) < 1e-2, w[0] + ", " + w[1]);
    }

    @Test
    void mismatchedSizesAndBadLearningRatesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Adam(2, 0.1).step(new double[3], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new Adam(2, 0.1).step(new float[2], new float[1]));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(2, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new Adam(2, -1));
    }
}
