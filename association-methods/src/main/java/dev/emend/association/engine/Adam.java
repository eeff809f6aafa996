package dev.emend.association.engine;

/**
 * Adam (Kingma & Ba) over one flat float parameter, updated in Java outside the gradient
 * collector (the house rule: weights change only after the loss graph is done).
 */
public final class Adam {
    private static final double BETA1 = 0.9;
    private static final double BETA2 = 0.999;
    private static final double EPS = 1e-8;

    private final double lr;
    private final double[] m;
    private final double[] v;
    private int step;

    public Adam(int size, double lr) {
        this.lr = lr;
        this.m = new double[size];
        this.v = new double[size];
    }

    /** One step on {@code w} with gradient {@code g}. */
    public void step(float[] w, float[] g) {
        step++;
        double c1 = 1 - Math.pow(BETA1, step);
        double c2 = 1 - Math.pow(BETA2, step);
        for (int i = 0; i < w.length; i++) {
            m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
            v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
            w[i] = (float) (w[i] - lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + EPS));
        }
    }
}
