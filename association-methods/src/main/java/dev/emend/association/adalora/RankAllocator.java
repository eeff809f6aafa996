package dev.emend.association.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * AdaLoRA's budget allocation (Zhang et al. 2023, §3.2–3.3) over the singular-value triplets
 * (P[:, i], λ_i, Q[i, :]) of every adapted matrix. The smoothed importance and uncertainty are
 * float32 arrays on the parameters' device, updated in place each step; only the r scores per
 * matrix come to the host, at an allocation, to pick the triplets to keep.
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
public final class RankAllocator implements AutoCloseable {
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
    private final NDManager manager;
    /** Per parameter (P, λ, Q of each matrix): Ī and Ū, created at the first step on its device. */
    private final NDArray[] avgIpt;
    private final NDArray[] avgUnc;
    private final boolean[][] masked;
    private boolean finalised;

    /**
     * @param outs output width of each adapted matrix (rows of P)
     * @param ins  input width of each adapted matrix (columns of Q)
     */
    public RankAllocator(int[] outs, int[] ins, AdaLoraHparams hp, NDManager parent) {
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
        this.manager = parent.newSubManager();
        this.avgIpt = new NDArray[3 * n];
        this.avgUnc = new NDArray[3 * n];
        this.masked = new boolean[n][initR];
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
    public int afterStep(int step, NDArray[] params, NDArray[] grads) {
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

    private void updateImportance(NDArray[] params, NDArray[] grads) {
        for (int k = 0; k < params.length; k++) {
            if (avgIpt[k] == null) {
                avgIpt[k] = zeros(params[k]);
                avgUnc[k] = zeros(params[k]);
            }
            try (NDScope scope = new NDScope()) {
                NDArray i = params[k].toType(DataType.FLOAT32, false).mul(grads[k].toType(DataType.FLOAT32, false)).abs();
                avgIpt[k].muli((float) beta1).addi(i.mul((float) (1 - beta1)));
                avgUnc[k].muli((float) beta2).addi(i.sub(avgIpt[k]).abs().mul((float) (1 - beta2)));
            }
        }
    }

    private NDArray zeros(NDArray like) {
        NDArray z = manager.zeros(like.getShape(), DataType.FLOAT32, like.getDevice());
        NDScope.unregister(z); // lives as long as the allocator
        return z;
    }

    /** S_i of every triplet, per matrix (zeros before the first step). */
    public double[][] tripletScores() {
        double[][] s = new double[outs.length][initR];
        if (avgIpt[0] == null) {
            return s;
        }
        for (int t = 0; t < outs.length; t++) {
            try (NDScope scope = new NDScope()) {
                // P is [out, r]: column means; Q is [r, in]: row means (reshaped: the parameters may come flat)
                NDArray p = avgIpt[3 * t].mul(avgUnc[3 * t]).reshape(outs[t], initR).mean(new int[] {0});
                NDArray l = avgIpt[3 * t + 1].mul(avgUnc[3 * t + 1]).reshape(initR);
                NDArray q = avgIpt[3 * t + 2].mul(avgUnc[3 * t + 2]).reshape(initR, ins[t]).mean(new int[] {1});
                float[] v = l.add(p).add(q).toFloatArray();
                for (int i = 0; i < initR; i++) {
                    s[t][i] = v[i];
                }
            }
        }
        return s;
    }

    private void allocate(NDArray[] params, int budget) {
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

    /** Zeroes the masked λ entries in place (one multiply per matrix that has any). */
    private void applyMask(NDArray[] params) {
        for (int t = 0; t < outs.length; t++) {
            float[] keep = new float[initR];
            boolean any = false;
            for (int i = 0; i < initR; i++) {
                keep[i] = masked[t][i] ? 0f : 1f;
                any |= masked[t][i];
            }
            if (any) {
                NDArray lambda = params[3 * t + 1];
                try (NDScope scope = new NDScope()) {
                    lambda.muli(lambda.getManager().create(keep).toType(lambda.getDataType(), false));
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

    @Override
    public void close() {
        manager.close();
    }
}
