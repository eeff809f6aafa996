package dev.emend.mastery.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CholeskyTest {
    /** A = B Bᵀ / m + shift·I for a random n × m B. */
    private static double[] gram(int n, int m, double shift, long seed) {
        Random r = new Random(seed);
        double[] b = new double[n * m];
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextGaussian();
        }
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < m; k++) {
                    s += b[i * m + k] * b[j * m + k];
                }
                a[i * n + j] = s / m + (i == j ? shift : 0);
            }
        }
        return a;
    }

    private static double[] times(double[] a, int n, double[] x) {
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                y[i] += a[i * n + k] * x[k];
            }
        }
        return y;
    }

    @Test
    void solvesAWellConditionedSystemWithoutARidge() {
        int n = 40;
        double[] a = gram(n, 200, 0.1, 1);
        double[] b = new Random(2).doubles(n).toArray();
        Cholesky c = Cholesky.factor(a, n, "test matrix");
        double[] x = c.solve(b);
        double[] back = times(a, n, x);
        for (int i = 0; i < n; i++) {
            assertEquals(b[i], back[i], 1e-10);
        }
        assertEquals(0, c.ridge());
        assertEquals(n, c.dim());
    }

    @Test
    void aSingularMatrixGetsTheSmallestRidgeThatFactorsIt() {
        // rank 5 in 30 dimensions: no factor without a ridge; the solve is of A + ρI, exactly.
        int n = 30;
        double[] a = gram(n, 5, 0, 3);
        Cholesky c = Cholesky.factor(a, n, "rank-deficient");
        assertTrue(c.ridge() > 0, "a ridge was needed");
        double[] b = new Random(4).doubles(n).toArray();
        double[] x = c.solve(b);
        double[] back = times(a, n, x);
        for (int i = 0; i < n; i++) {
            // the solution is large along the null directions: a relative residual of 1e-4
            assertEquals(b[i], back[i] + c.ridge() * x[i], 1e-4 * (1 + Math.abs(b[i])));
        }
    }

    @Test
    void refusesWhatNoRidgeCanFactorAndBadShapes() {
        double[] negative = {-1, 0, 0, -2};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Cholesky.factor(negative, 2, "the toy"));
        assertTrue(e.getMessage().startsWith("the toy is not positive definite"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Cholesky.factor(new double[5], 2, "x"));
        Cholesky c = Cholesky.factor(new double[] {4}, 1, "x");
        assertEquals(0.5, c.solve(new double[] {2})[0], 0);
        assertThrows(IllegalArgumentException.class, () -> c.solve(new double[2]));
    }
}
