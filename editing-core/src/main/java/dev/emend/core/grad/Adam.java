package dev.emend.core.grad;

/**
 * Adam (Kingma &amp; Ba) with PyTorch's defaults (β₁ 0.9, β₂ 0.999, ε 1e-8, bias-corrected) over
 * one flat parameter held on the host, updated outside the gradient collector (weights change only
 * after the loss graph is done): the one optimiser of the editors' host-side loops over
 * vector-sized parameters (GRACE's value, the ROME/MEMIT/AlphaEdit value step's δ, MEND's
 * networks); matrices train on the device with {@link DeviceAdam}, its twin. Moments are float64; each step is
 * {@code w − lr·(m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)}, as {@code torch.optim.Adam} computes it.
 */
public final class Adam {
    public static final double BETA1 = 0.9;
    public static final double BETA2 = 0.999;
    public static final double EPS = 1e-8;

    private final double lr;
    private final double[] m;
    private final double[] v;
    private int step;

    public Adam(int size, double lr) {
        if (size <= 0) {
            throw new IllegalArgumentException("Adam needs a parameter of at least one value, got size " + size);
        }
        if (!(lr >= 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("Adam learning rate must be a finite number ≥ 0, got " + lr);
        }
        this.lr = lr;
        this.m = new double[size];
        this.v = new double[size];
    }

    /** Steps taken so far. */
    public int steps() {
        return step;
    }

    /** One step on the float parameter {@code w} with gradient {@code g}. */
    public void step(float[] w, float[] g) {
        check(w.length, g.length);
        step++;
        double c1 = 1 - Math.pow(BETA1, step);
        double c2 = 1 - Math.pow(BETA2, step);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (w[i] - update(i, g[i], c1, c2));
        }
    }

    /** One step on the float64 parameter {@code w} with gradient {@code g}. */
    public void step(double[] w, double[] g) {
        check(w.length, g.length);
        step++;
        double c1 = 1 - Math.pow(BETA1, step);
        double c2 = 1 - Math.pow(BETA2, step);
        for (int i = 0; i < w.length; i++) {
            w[i] -= update(i, g[i], c1, c2);
        }
    }

    private double update(int i, double g, double c1, double c2) {
        m[i] = BETA1 * m[i] + (1 - BETA1) * g;
        v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
        return lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS);
    }

    private void check(int w, int g) {
        if (w != m.length || g != m.length) {
            throw new IllegalArgumentException("Adam over " + m.length + " values got a parameter of " + w
                    + " and a gradient of " + g);
        }
    }
}
