package dev.emend.mastery.stats;

import dev.emend.mastery.linalg.Cholesky;
import java.util.Arrays;

/**
 * The uncentred second moment C = (1/N) Σ k kᵀ of one layer's MLP keys (the input of W_out,
 * size d_ff) over N corpus tokens, row-major in double precision. Rank-one and batch editors
 * (ROME's u = C⁻¹k*, MEMIT's λC) solve against it; {@link #solve} factors C once ({@link Cholesky})
 * and reuses the factor for every later solve.
 */
public final class SecondMoment {
    private final int layer;
    private final int dim;
    private final long tokenCount;
    private final double[] matrix;
    private Cholesky cholesky;

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
     * x = C⁻¹ b, through one {@link Cholesky} factor made on first use and reused (with its ridge
     * fallback when C is singular in floating point: fewer tokens than d_ff, or dead units).
     */
    public double[] solve(double[] b) {
        return factor().solve(b);
    }

    /** The ridge added to make C factorable (0 unless it was singular). */
    public double ridge() {
        return factor().ridge();
    }

    private synchronized Cholesky factor() {
        if (cholesky == null) {
            cholesky = Cholesky.factor(matrix, dim, "the second moment of layer " + layer
                    + " (is the corpus empty or the model degenerate?)");
        }
        return cholesky;
    }

    @Override
    public String toString() {
        return "SecondMoment[layer=" + layer + ", dim=" + dim + ", tokens=" + tokenCount + ", diag[0..3]="
                + Arrays.toString(Arrays.copyOf(new double[] {get(0, 0), dim > 1 ? get(1, 1) : 0, dim > 2 ? get(2, 2) : 0}, 3)) + "]";
    }
}
