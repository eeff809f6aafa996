package dev.emend.mastery.stats;

import java.util.Arrays;

/**
 * The uncentred second moment C = (1/N) Σ k kᵀ of one layer's MLP keys (the input of W_out,
 * size d_ff) over N corpus tokens, row-major in double precision. Rank-one and batch editors
 * (ROME's u = C⁻¹k*, MEMIT's λC) solve against it; {@link #solve} factors C once (Cholesky, in
 * double precision) and reuses the factor for every later solve.
 */
public final class SecondMoment {
    private final int layer;
    private final int dim;
    private final long tokenCount;
    private final double[] matrix;
    private double[] cholesky;
    private double ridge;

    public SecondMoment(int layer, int dim, long tokenCount, double[] matrix) {
        if (matrix.length != (long) dim * dim) {
            throw new IllegalArgumentException("second moment of dimension " + dim + " needs " + (long) dim * dim
                    + " values, got " + matrix.length);
        }
        this.layer = layer;
        this.dim = dim;
        this.tokenCount = tokenCount;
        this.matrix = matrix;
    }

    public int layer() {
        return layer;
    }

    /** d_ff: the size of one key. */
    public int dim() {
        return dim;
    }

    /** How many key vectors (non-pad corpus tokens) were averaged. */
    public long tokenCount() {
        return tokenCount;
    }

    public double get(int row, int col) {
        return matrix[row * dim + col];
    }

    /** A copy of C, row-major. */
    public double[] toArray() {
        return matrix.clone();
    }

    /**
     * x = C⁻¹ b. When C is singular in floating point (fewer tokens than d_ff, or dead units),
     * a ridge of 1e-10·mean(diag C), grown tenfold until the factorisation succeeds, is added;
     * {@link #ridge()} reports what was used (0 for a well-conditioned C).
     */
    public synchronized double[] solve(double[] b) {
        if (b.length != dim) {
            throw new IllegalArgumentException("right-hand side has " + b.length + " values, C is " + dim + "x" + dim);
        }
        if (cholesky == null) {
            factor();
        }
        double[] y = new double[dim];
        for (int i = 0; i < dim; i++) {
            double s = b[i];
            int row = i * dim;
            for (int k = 0; k < i; k++) {
                s -= cholesky[row + k] * y[k];
            }
            y[i] = s / cholesky[row + i];
        }
        double[] x = new double[dim];
        for (int i = dim - 1; i >= 0; i--) {
            double s = y[i];
            for (int k = i + 1; k < dim; k++) {
                s -= cholesky[k * dim + i] * x[k];
            }
            x[i] = s / cholesky[i * dim + i];
        }
        return x;
    }

    /** The ridge added to make C factorable (0 unless it was singular). */
    public synchronized double ridge() {
        if (cholesky == null) {
            factor();
        }
        return ridge;
    }

    private void factor() {
        double meanDiag = 0;
        for (int i = 0; i < dim; i++) {
            meanDiag += matrix[i * dim + i];
        }
        meanDiag = Math.max(meanDiag / dim, Double.MIN_NORMAL);
        double lambda = 0;
        for (int attempt = 0; attempt < 12; attempt++) {
            double[] l = tryCholesky(lambda);
            if (l != null) {
                cholesky = l;
                ridge = lambda;
                return;
            }
            lambda = lambda == 0 ? 1e-10 * meanDiag : lambda * 10;
        }
        throw new IllegalStateException("second moment of layer " + layer + " is not positive definite even with a ridge of "
                + lambda + " (is the corpus empty or the model degenerate?)");
    }

    /** Lower-triangular L with L Lᵀ = C + λI, or null when a pivot is not positive. */
    private double[] tryCholesky(double lambda) {
        double[] l = new double[matrix.length];
        for (int j = 0; j < dim; j++) {
            int rj = j * dim;
            double s = matrix[rj + j] + lambda;
            for (int k = 0; k < j; k++) {
                s -= l[rj + k] * l[rj + k];
            }
            if (!(s > 0)) {
                return null;
            }
            double d = Math.sqrt(s);
            l[rj + j] = d;
            for (int i = j + 1; i < dim; i++) {
                int ri = i * dim;
                double t = matrix[ri + j];
                for (int k = 0; k < j; k++) {
                    t -= l[ri + k] * l[rj + k];
                }
                l[ri + j] = t / d;
            }
        }
        return l;
    }

    @Override
    public String toString() {
        return "SecondMoment[layer=" + layer + ", dim=" + dim + ", tokens=" + tokenCount + ", diag[0..3]="
                + Arrays.toString(Arrays.copyOf(new double[] {get(0, 0), dim > 1 ? get(1, 1) : 0, dim > 2 ? get(2, 2) : 0}, 3)) + "]";
    }
}
