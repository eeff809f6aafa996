package dev.emend.mastery.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SymmetricEigenTest {

    /** A = Σ λᵢ vᵢvᵢᵀ for a random orthonormal basis: the decomposition must find λ and A v = λ v. */
    @Test
    void recoversAKnownSpectrumIncludingANullSpace() {
        int n = 40;
        Random rnd = new Random(3);
        double[][] q = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                q[i][j] = rnd.nextGaussian();
            }
            for (int k = 0; k < i; k++) { // Gram-Schmidt
                double dot = 0;
                for (int j = 0; j < n; j++) {
                    dot += q[i][j] * q[k][j];
                }
                for (int j = 0; j < n; j++) {
                    q[i][j] -= dot * q[k][j];
                }
            }
            double norm = 0;
            for (int j = 0; j < n; j++) {
                norm += q[i][j] * q[i][j];
            }
            for (int j = 0; j < n; j++) {
                q[i][j] /= Math.sqrt(norm);
            }
        }
        double[] lambda = new double[n];
        for (int i = 0; i < n; i++) {
            lambda[i] = i < 10 ? 0 : Math.pow(10, -3 + 6.0 * i / n); // ten exact zeros, then a wide range
        }
        double[] a = new double[n * n];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    a[i * n + j] += lambda[k] * q[k][i] * q[k][j];
                }
            }
        }
        SymmetricEigen eig = SymmetricEigen.of(a, n);
        double[] got = eig.values();
        double scale = lambda[n - 1];
        for (int i = 0; i < n; i++) {
            assertEquals(lambda[i], got[i], 1e-10 * scale, "eigenvalue " + i);
        }
        for (int j = 0; j < n; j++) {
            double[] v = eig.vector(j);
            double norm = 0;
            for (int i = 0; i < n; i++) {
                double av = 0;
                for (int k = 0; k < n; k++) {
                    av += a[i * n + k] * v[k];
                }
                assertEquals(got[j] * v[i], av, 1e-9 * scale, "A v = λ v for vector " + j);
                norm += v[i] * v[i];
            }
            assertEquals(1.0, norm, 1e-10);
            for (int k = 0; k < j; k++) {
                double dot = 0;
                double[] u = eig.vector(k);
                for (int i = 0; i < n; i++) {
                    dot += u[i] * v[i];
                }
                assertTrue(Math.abs(dot) < 1e-10, "vectors " + k + " and " + j + " are orthogonal: " + dot);
            }
        }
    }
}
