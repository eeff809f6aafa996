package dev.emend.mastery.alphaedit;

import dev.emend.mastery.linalg.SymmetricEigen;
import dev.emend.mastery.stats.SecondMoment;

/**
 * AlphaEdit's projector onto the (approximate) null space of the preserved knowledge at one
 * layer: P = Û Ûᵀ, Û the unit eigenvectors of C = E[k kᵀ] whose eigenvalues are below
 * {@code nullspace_threshold}. For keys k₀ of the corpus, ‖P k₀‖ is small, so an update whose
 * rows lie in range(P) leaves their outputs (nearly) unchanged. P is kept as Û (d_ff × r), never
 * as the dense d_ff × d_ff matrix.
 *
 * @param basis Û row-major, d_ff rows of r values (column j is the j-th null-space direction)
 * @param eigenvalues every eigenvalue of C, ascending (for reporting)
 */
public record NullSpaceProjector(int layer, int dff, int rank, double threshold, double[] basis, double[] eigenvalues) {

    public NullSpaceProjector {
        if (basis.length != (long) dff * rank) {
            throw new IllegalArgumentException("null-space basis of " + dff + "×" + rank + " needs " + (long) dff * rank
                    + " values, got " + basis.length);
        }
    }

    /** Eigendecomposes C and keeps the eigenvectors with eigenvalue < {@code threshold}. */
    public static NullSpaceProjector of(SecondMoment c, double threshold, SymmetricEigen.Progress progress) {
        int dff = c.dim();
        SymmetricEigen eig = SymmetricEigen.of(c.toArray(), dff, progress);
        double[] values = eig.values();
        int r = 0;
        while (r < dff && values[r] < threshold) {
            r++;
        }
        double[] basis = new double[dff * r];
        for (int j = 0; j < r; j++) {
            double[] v = eig.vector(j);
            for (int p = 0; p < dff; p++) {
                basis[p * r + j] = v[p];
            }
        }
        return new NullSpaceProjector(c.layer(), dff, r, threshold, basis, values);
    }

    /** Ûᵀ x (r values). */
    public double[] coordinates(double[] x) {
        double[] y = new double[rank];
        for (int p = 0; p < dff; p++) {
            double xp = x[p];
            if (xp == 0) {
                continue;
            }
            int row = p * rank;
            for (int j = 0; j < rank; j++) {
                y[j] += basis[row + j] * xp;
            }
        }
        return y;
    }

    /** Û y (d_ff values). */
    public double[] lift(double[] y) {
        double[] x = new double[dff];
        for (int p = 0; p < dff; p++) {
            int row = p * rank;
            double s = 0;
            for (int j = 0; j < rank; j++) {
                s += basis[row + j] * y[j];
            }
            x[p] = s;
        }
        return x;
    }

    /** P x = Û Ûᵀ x. */
    public double[] project(double[] x) {
        return lift(coordinates(x));
    }

    /**
     * Ûᵀ A Û (r × r, row-major) for a symmetric d_ff × d_ff row-major A: the accumulated keys'
     * second moment seen from inside the null space.
     */
    public double[] restrict(double[] a) {
        // T = A Û (d_ff × r)
        double[] t = new double[dff * rank];
        for (int i = 0; i < dff; i++) {
            int ti = i * rank;
            int ai = i * dff;
            for (int k = 0; k < dff; k++) {
                double aik = a[ai + k];
                if (aik == 0) {
                    continue;
                }
                int bk = k * rank;
                for (int j = 0; j < rank; j++) {
                    t[ti + j] += aik * basis[bk + j];
                }
            }
        }
        double[] g = new double[rank * rank];
        for (int p = 0; p < dff; p++) {
            int bp = p * rank;
            int tp = p * rank;
            for (int i = 0; i < rank; i++) {
                double u = basis[bp + i];
                if (u == 0) {
                    continue;
                }
                int gi = i * rank;
                for (int j = 0; j < rank; j++) {
                    g[gi + j] += u * t[tp + j];
                }
            }
        }
        return g;
    }

    /** The smallest eigenvalue of C not in the null space (NaN when every direction is in it). */
    public double firstKeptEigenvalue() {
        return rank < eigenvalues.length ? eigenvalues[rank] : Double.NaN;
    }
}
