package dev.emend.mastery.linalg;

/**
 * The Cholesky factor L (L Lᵀ = A + ρI) of a symmetric positive (semi-)definite {@code n × n}
 * matrix in double precision, and solves against it: the one dense solver of the weight editors
 * (ROME's C⁻¹k*, MEMIT's (λC + KKᵀ)⁻¹K, AlphaEdit's projected system). DJL's engine offers only a
 * general {@code inverse()}, which is both slower and worse conditioned for these systems (on a
 * near-singular C, the reference's {@code torch.linalg.solve} returned NaN where this factor with
 * its ridge fallback solved; BENCHMARKS.md "Value step speed").
 *
 * <p>When A is singular in floating point (fewer samples than n, dead units), a ridge
 * ρ = 1e-10·mean(diag A), grown tenfold (at most 12 tries) until every pivot is positive, is
 * added; {@link #ridge()} reports it (0 for a well-conditioned A).
 */
public final class Cholesky {
    private static final int RIDGE_TRIES = 12;

    private final int n;
    private final double[] l;
    private final double ridge;

    private Cholesky(int n, double[] l, double ridge) {
        this.n = n;
        this.l = l;
        this.ridge = ridge;
    }

    /**
     * Factors the row-major {@code matrix} (only its lower triangle is read; not modified).
     * {@code what} names it in the error when no ridge makes it factorable.
     */
    public static Cholesky factor(double[] matrix, int n, String what) {
        if (n <= 0 || matrix.length != (long) n * n) {
            throw new IllegalArgumentException(what + ": a " + n + "x" + n + " matrix needs " + (long) n * n
                    + " values, got " + matrix.length);
        }
        double meanDiag = 0;
        for (int i = 0; i < n; i++) {
            meanDiag += matrix[i * n + i];
        }
        meanDiag = Math.max(meanDiag / n, Double.MIN_NORMAL);
        double lambda = 0;
        for (int attempt = 0; attempt < RIDGE_TRIES; attempt++) {
            double[] l = tryFactor(matrix, n, lambda);
            if (l != null) {
                return new Cholesky(n, l, lambda);
            }
            lambda = lambda == 0 ? 1e-10 * meanDiag : lambda * 10;
        }
        throw new IllegalStateException(what + " is not positive definite even with a ridge of " + lambda);
    }

    /** Lower-triangular L with L Lᵀ = A + λI, or null when a pivot is not positive. */
    private static double[] tryFactor(double[] a, int n, double lambda) {
        double[] l = new double[a.length];
        for (int j = 0; j < n; j++) {
            int rj = j * n;
            double s = a[rj + j] + lambda;
            for (int k = 0; k < j; k++) {
                s -= l[rj + k] * l[rj + k];
            }
            if (!(s > 0)) {
                return null;
            }
            double d = Math.sqrt(s);
            l[rj + j] = d;
            for (int i = j + 1; i < n; i++) {
                int ri = i * n;
                double t = a[ri + j];
                for (int k = 0; k < j; k++) {
                    t -= l[ri + k] * l[rj + k];
                }
                l[ri + j] = t / d;
            }
        }
        return l;
    }

    public int dim() {
        return n;
    }

    /** The ridge ρ that was added (0 unless the matrix was singular in floating point). */
    public double ridge() {
        return ridge;
    }

    /** x = (A + ρI)⁻¹ b: forward then back substitution. */
    public double[] solve(double[] b) {
        if (b.length != n) {
            throw new IllegalArgumentException("right-hand side has " + b.length + " values, the matrix is " + n + "x" + n);
        }
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            double s = b[i];
            int row = i * n;
            for (int k = 0; k < i; k++) {
                s -= l[row + k] * y[k];
            }
            y[i] = s / l[row + i];
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < n; k++) {
                s -= l[k * n + i] * x[k];
            }
            x[i] = s / l[i * n + i];
        }
        return x;
    }
}
