package dev.emend.mastery.linalg;

/**
 * Eigendecomposition of a real symmetric matrix in double precision: Householder reduction to
 * tridiagonal form, then the implicit QL iteration with Wilkinson-style shifts (the classic
 * EISPACK tred2/tql2 pair). AlphaEdit needs the eigenvectors of C = E[k kᵀ] whose eigenvalues are
 * small; for a symmetric positive semi-definite C these are its left singular vectors, so this
 * replaces the reference's {@code torch.linalg.svd(cov)}. No linear-algebra library is on the
 * module's classpath, and d_ff-sized problems (≤ a few thousand) are fine in plain Java.
 */
public final class SymmetricEigen {
    private final int n;
    private final double[] values;
    /** Eigenvectors as rows: vectors[j] belongs to values[j]. */
    private final double[][] vectors;

    private SymmetricEigen(int n, double[] values, double[][] vectors) {
        this.n = n;
        this.values = values;
        this.vectors = vectors;
    }

    /** Progress of a long decomposition: the phase and how far it is. */
    @FunctionalInterface
    public interface Progress {
        void update(String phase, int done, int total);

        Progress NONE = (p, d, t) -> { };
    }

    public static SymmetricEigen of(double[] matrix, int n) {
        return of(matrix, n, Progress.NONE);
    }

    /**
     * Decomposes the symmetric {@code n × n} row-major {@code matrix} (only symmetry is assumed;
     * the input is not modified). Eigenvalues come out ascending.
     */
    public static SymmetricEigen of(double[] matrix, int n, Progress progress) {
        if (matrix.length != (long) n * n) {
            throw new IllegalArgumentException("matrix of dimension " + n + " needs " + (long) n * n + " values, got "
                    + matrix.length);
        }
        double[][] v = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                // symmetrise: float storage can leave the two triangles a rounding apart
                v[i][j] = 0.5 * (matrix[i * n + j] + matrix[j * n + i]);
            }
        }
        double[] d = new double[n];
        double[] e = new double[n];
        if (n == 0) {
            return new SymmetricEigen(0, d, v);
        }
        tridiagonalize(v, d, e, n, progress);
        // The QL rotations act on pairs of eigenvector columns; hold them as rows for locality.
        double[][] w = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                w[j][i] = v[i][j];
            }
        }
        v = null;
        diagonalize(w, d, e, n, progress);
        // sort ascending
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        final double[] dd = d;
        java.util.Arrays.sort(order, (a, b) -> Double.compare(dd[a], dd[b]));
        double[] values = new double[n];
        double[][] vectors = new double[n][];
        for (int i = 0; i < n; i++) {
            values[i] = d[order[i]];
            vectors[i] = w[order[i]];
        }
        return new SymmetricEigen(n, values, vectors);
    }

    public int dim() {
        return n;
    }

    /** Eigenvalues, ascending (a copy). */
    public double[] values() {
        return values.clone();
    }

    /** The unit eigenvector of {@code values()[j]} (a copy). */
    public double[] vector(int j) {
        return vectors[j].clone();
    }

    /** Householder reduction of the symmetric matrix in {@code v} to tridiagonal (d, e); v gets Q. */
    private static void tridiagonalize(double[][] v, double[] d, double[] e, int n, Progress progress) {
        for (int j = 0; j < n; j++) {
            d[j] = v[n - 1][j];
        }
        for (int i = n - 1; i > 0; i--) {
            if (i % 128 == 0) {
                progress.update("householder", n - 1 - i, n - 1);
            }
            double scale = 0;
            double h = 0;
            for (int k = 0; k < i; k++) {
                scale += Math.abs(d[k]);
            }
            if (scale == 0) {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++) {
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                    v[j][i] = 0;
                }
            } else {
                for (int k = 0; k < i; k++) {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.sqrt(h);
                if (f > 0) {
                    g = -g;
                }
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) {
                    e[j] = 0;
                }
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    v[j][i] = f;
                    g = e[j] + v[j][j] * f;
                    for (int k = j + 1; k < i; k++) {
                        double vkj = v[k][j];
                        g += vkj * d[k];
                        e[k] += vkj * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++) {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) {
                    e[j] -= hh * d[j];
                }
                for (int j = 0; j < i; j++) {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k < i; k++) {
                        v[k][j] -= f * e[k] + g * d[k];
                    }
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                }
            }
            d[i] = h;
        }
        // accumulate the transformations
        for (int i = 0; i < n - 1; i++) {
            v[n - 1][i] = v[i][i];
            v[i][i] = 1;
            double h = d[i + 1];
            if (h != 0) {
                for (int k = 0; k <= i; k++) {
                    d[k] = v[k][i + 1] / h;
                }
                for (int j = 0; j <= i; j++) {
                    double g = 0;
                    for (int k = 0; k <= i; k++) {
                        g += v[k][i + 1] * v[k][j];
                    }
                    for (int k = 0; k <= i; k++) {
                        v[k][j] -= g * d[k];
                    }
                }
            }
            for (int k = 0; k <= i; k++) {
                v[k][i + 1] = 0;
            }
        }
        for (int j = 0; j < n; j++) {
            d[j] = v[n - 1][j];
            v[n - 1][j] = 0;
        }
        v[n - 1][n - 1] = 1;
        e[0] = 0;
    }

    /** Implicit QL on the tridiagonal (d, e); the rows of w (eigenvector columns of Q) are rotated along. */
    private static void diagonalize(double[][] w, double[] d, double[] e, int n, Progress progress) {
        for (int i = 1; i < n; i++) {
            e[i - 1] = e[i];
        }
        e[n - 1] = 0;
        double f = 0;
        double tst1 = 0;
        double eps = Math.ulp(1.0);
        for (int l = 0; l < n; l++) {
            if (l % 128 == 0) {
                progress.update("ql", l, n);
            }
            tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
            int m = l;
            while (m < n && Math.abs(e[m]) > eps * tst1) {
                m++;
            }
            if (m == n) {
                m = n - 1;
            }
            if (m > l) {
                int iter = 0;
                do {
                    if (++iter > 60) {
                        throw new IllegalStateException("symmetric eigendecomposition did not converge at index " + l);
                    }
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Math.hypot(p, 1);
                    if (p < 0) {
                        r = -r;
                    }
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) {
                        d[i] -= h;
                    }
                    f += h;
                    p = d[m];
                    double c = 1;
                    double c2 = c;
                    double c3 = c;
                    double el1 = e[l + 1];
                    double s = 0;
                    double s2 = 0;
                    for (int i = m - 1; i >= l; i--) {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Math.hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        double[] a = w[i];
                        double[] b = w[i + 1];
                        for (int k = 0; k < n; k++) {
                            double hk = b[k];
                            b[k] = s * a[k] + c * hk;
                            a[k] = c * a[k] - s * hk;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                } while (Math.abs(e[l]) > eps * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
        progress.update("ql", n, n);
    }
}
