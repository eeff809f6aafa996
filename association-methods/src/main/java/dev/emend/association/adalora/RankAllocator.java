package dev.emend.association.adalora;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * AdaLoRA's budget allocation (Zhang et al. 2023, §3.2–3.3) over the singular-value triplets
 * (P[:, i], λ_i, Q[i, :]) of every adapted matrix, in plain Java on the flat parameters.
 *
 * <p>Importance of one parameter w after a step with gradient ∇w: I = |w·∇w| (sensitivity),
 * smoothed Ī ← β1·Ī + (1−β1)·I and its uncertainty Ū ← β2·Ū + (1−β2)·|I − Ī|, score s = Ī·Ū.
 * A triplet's score is S_i = s(λ_i) + mean_j s(P_ji) + mean_j s(Q_ij). Budget b(t) after t optimiser
 * steps of T: b = b⁰ = init_r·n while t ≤ t_i (warm-up, nothing masked); for t_i &lt; t &lt; T − t_f,
 * b = b_T + ⌊(b⁰ − b_T)·(1 − (t − t_i)/(T − t_f − t_i))³⌋ with b_T = target_r·n, and every ΔT steps
 * the lowest-scored triplets beyond b are masked (λ_i := 0 after every step until the next
 * allocation, which may bring a triplet back: P and Q keep training); at t = T − t_f the final allocation keeps exactly b_T triplets,
 * and after it that pattern is enforced every step (importance no longer updated).
 *
 * <p>Differences from PEFT's {@code RankAllocator}: steps count from 1 (the optimiser steps done, so
 * t_f = 0 still ends at the target budget; PEFT's 0-based loop never reaches its final allocation
 * then); the importance is also updated at the final allocation step; between two allocations the
 * last mask stays in force (PEFT lets the optimiser revive masked values until the next allocation),
 * so the count of unmasked triplets is the scheduled budget at every step; ties are broken by
 * position so that exactly b triplets stay (PEFT masks every score ≤ the k-th, which can mask more).
 */
public final class RankAllocator {
    private final int[] outs;
    private final int[] ins;
    private final int initR;
    private final int targetR;
    private final int tinit;
    private final int tfinal;
    private final int deltaT;
    private final int totalSteps;
    private final double beta1;
    private final double beta2;
    private final float[][] avgIpt;
    private final float[][] avgUnc;
    private final boolean[][] masked;
    private boolean finalised;

    /**
     * @param outs output width of each adapted matrix (rows of P)
     * @param ins  input width of each adapted matrix (columns of Q)
     */
    public RankAllocator(int[] outs, int[] ins, AdaLoraHparams hp) {
        this.outs = outs.clone();
        this.ins = ins.clone();
        this.initR = hp.initR();
        this.targetR = hp.targetR();
        this.tinit = hp.tinit();
        this.tfinal = hp.tfinal();
        this.deltaT = hp.deltaT();
        this.totalSteps = hp.numSteps();
        this.beta1 = hp.beta1();
        this.beta2 = hp.beta2();
        int n = outs.length;
        this.avgIpt = new float[3 * n][];
        this.avgUnc = new float[3 * n][];
        this.masked = new boolean[n][initR];
        for (int t = 0; t < n; t++) {
            int[] sizes = {outs[t] * initR, initR, initR * ins[t]};
            for (int k = 0; k < 3; k++) {
                avgIpt[3 * t + k] = new float[sizes[k]];
                avgUnc[3 * t + k] = new float[sizes[k]];
            }
        }
    }

    /** The budget (triplets kept over all matrices) after {@code step} optimiser steps. */
    public int budget(int step) {
        int init = initR * outs.length;
        int target = targetR * outs.length;
        if (step <= tinit) {
            return init;
        }
        if (step >= totalSteps - tfinal) {
            return target;
        }
        double left = 1 - (double) (step - tinit) / (totalSteps - tfinal - tinit);
        return target + (int) Math.floor((init - target) * left * left * left);
    }

    /**
     * After optimiser step {@code step} (1-based): updates the importance from the parameters
     * (P, λ, Q per matrix, as {@link AdaLoraEditor} lays them out) and that step's gradients, then
     * masks (zeroes λ) as the schedule says. Returns the number of triplets left unmasked.
     */
    public int afterStep(int step, float[][] params, float[][] grads) {
        int finalStep = totalSteps - tfinal;
        if (finalised) {
            applyMask(params);
            return kept();
        }
        updateImportance(params, grads);
        if (step == finalStep) {
            allocate(params, budget(step));
            finalised = true;
        } else if (step > tinit && step % deltaT == 0) {
            allocate(params, budget(step));
        } else {
            applyMask(params);
        }
        return kept();
    }

    private void updateImportance(float[][] params, float[][] grads) {
        for (int k = 0; k < params.length; k++) {
            float[] w = params[k];
            float[] g = grads[k];
            float[] ipt = avgIpt[k];
            float[] unc = avgUnc[k];
            for (int j = 0; j < w.length; j++) {
                double i = Math.abs((double) w[j] * g[j]);
                ipt[j] = (float) (beta1 * ipt[j] + (1 - beta1) * i);
                unc[j] = (float) (beta2 * unc[j] + (1 - beta2) * Math.abs(i - ipt[j]));
            }
        }
    }

    /** S_i of every triplet, per matrix. */
    public double[][] tripletScores() {
        double[][] s = new double[outs.length][initR];
        for (int t = 0; t < outs.length; t++) {
            float[] pi = avgIpt[3 * t];
            float[] pu = avgUnc[3 * t];
            float[] li = avgIpt[3 * t + 1];
            float[] lu = avgUnc[3 * t + 1];
            float[] qi = avgIpt[3 * t + 2];
            float[] qu = avgUnc[3 * t + 2];
            for (int i = 0; i < initR; i++) {
                double p = 0;
                for (int row = 0; row < outs[t]; row++) { // P is [out, r]: column i
                    int at = row * initR + i;
                    p += (double) pi[at] * pu[at];
                }
                double q = 0;
                for (int col = 0; col < ins[t]; col++) { // Q is [r, in]: row i
                    int at = i * ins[t] + col;
                    q += (double) qi[at] * qu[at];
                }
                s[t][i] = (double) li[i] * lu[i] + p / outs[t] + q / ins[t];
            }
        }
        return s;
    }

    private void allocate(float[][] params, int budget) {
        double[][] s = tripletScores();
        List<int[]> order = new ArrayList<>();
        for (int t = 0; t < outs.length; t++) {
            for (int i = 0; i < initR; i++) {
                order.add(new int[] {t, i});
            }
        }
        order.sort(Comparator.comparingDouble((int[] ti) -> s[ti[0]][ti[1]]));
        int drop = order.size() - budget;
        for (int k = 0; k < order.size(); k++) {
            int[] ti = order.get(k);
            masked[ti[0]][ti[1]] = k < drop;
        }
        applyMask(params);
    }

    private void applyMask(float[][] params) {
        for (int t = 0; t < outs.length; t++) {
            for (int i = 0; i < initR; i++) {
                if (masked[t][i]) {
                    params[3 * t + 1][i] = 0f;
                }
            }
        }
    }

    /** Triplets not masked, over all matrices. */
    public int kept() {
        int n = 0;
        for (boolean[] m : masked) {
            for (boolean b : m) {
                n += b ? 0 : 1;
            }
        }
        return n;
    }

    /** Whether triplet {@code i} of matrix {@code t} is masked now. */
    public boolean masked(int t, int i) {
        return masked[t][i];
    }

    /** Whether the final allocation has been made (early stopping is allowed from then on). */
    public boolean finalised() {
        return finalised;
    }

    /** The kept triplets of each matrix (their indices, ascending). */
    public int[][] keptIndices() {
        int[][] out = new int[outs.length][];
        for (int t = 0; t < outs.length; t++) {
            int[] idx = new int[initR];
            int k = 0;
            for (int i = 0; i < initR; i++) {
                if (!masked[t][i]) {
                    idx[k++] = i;
                }
            }
            out[t] = Arrays.copyOf(idx, k);
        }
        return out;
    }
}
