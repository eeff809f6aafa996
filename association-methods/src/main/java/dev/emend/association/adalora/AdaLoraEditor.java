package dev.emend.association.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.association.engine.AdapterTarget;
import dev.emend.association.engine.AdapterTraining;
import dev.emend.association.engine.TargetBatch;
import dev.emend.core.edit.EditRequest;
import dev.emend.core.model.Scalars;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Trains one AdaLoRA adapter for a ledger unit over the space's current state (Zhang et al. 2023):
 * per targeted matrix ΔW = s·P Λ Q with P {@code [out, init_r]}, Λ = diag(λ), Q {@code [init_r, in]};
 * λ = 0 and P, Q ~ N(0, 0.02²) (seeded) at the start, as the paper and PEFT do. The loss is FT-M's
 * target cross-entropy (the objective EasyEdit's LoRA editor trains, shared with LoRA through
 * {@link AdapterTraining}) plus γ·Σ_k (‖P_kᵀP_k − I‖²_F + ‖Q_kQ_kᵀ − I‖²_F); after every Adam step
 * the {@link RankAllocator} updates the importance and masks triplets to the scheduled budget. The
 * payload keeps the unmasked triplets only.
 *
 * <p>Differences from the references: the regulariser is the paper's (squared Frobenius norms summed
 * over the matrices; PEFT averages unsquared norms over the P and Q matrices); training may stop
 * early (target loss &lt; 1e-2, as LoRA) only once the final allocation is made, so the stored
 * adapter always has the target budget; no adapter dropout (edits must be reproducible, as LoRA).
 * EasyEdit's LoRA editor builds PEFT's AdaLoraConfig but never calls {@code update_and_allocate},
 * so there the rank stays init_r; here the allocation runs as the paper describes.
 */
public final class AdaLoraEditor {
    /** Standard deviation of the Gaussian initialisation of P and Q (the paper's and PEFT's). */
    static final double INIT_STD = 0.02;

    private final LanguageModel lm;

    public AdaLoraEditor(LanguageModel lm) {
        this.lm = lm;
    }

    /** The targets named by the hparams, validated against the model. */
    public List<AdapterTarget> targets(AdaLoraHparams hp) {
        return AdapterTarget.resolve(lm, hp.layers(), hp.targetModules());
    }

    /** What one unit's training produced: the kept triplets and the step counts. */
    public record Trained(List<AdaLoraAdapter.Triplets> triplets, AdapterTraining.Result result) {
        public int totalRank() {
            return triplets.stream().mapToInt(AdaLoraAdapter.Triplets::rank).sum();
        }
    }

    /** Trains the adapter for {@code requests} on {@code view}. */
    public Trained train(ModelView view, AdaLoraHparams hp, List<EditRequest> requests) {
        List<AdapterTarget> targets = targets(hp);
        int nt = targets.size();
        int r = hp.initR();
        double scale = hp.scale();
        float[][] params = new float[3 * nt][];
        int[] outs = new int[nt];
        int[] ins = new int[nt];
        Random rnd = new Random(hp.seed());
        for (int t = 0; t < nt; t++) {
            outs[t] = targets.get(t).out();
            ins[t] = targets.get(t).in();
            params[3 * t] = gaussian(rnd, outs[t] * r);
            params[3 * t + 1] = new float[r];
            params[3 * t + 2] = gaussian(rnd, r * ins[t]);
        }
        // Ī and Ū live on the device beside the parameters: closed with the allocator
        try (RankAllocator allocator = new RankAllocator(outs, ins, hp, lm.manager())) {
            AdapterTraining.Parametrisation svd = new AdapterTraining.Parametrisation() {
                @Override
                public float[][] parameters() {
                    return params;
                }

                @Override
                public Shape shape(int k) {
                    int t = k / 3;
                    return switch (k % 3) {
                        case 0 -> new Shape(outs[t], r);
                        case 1 -> new Shape(r);
                        default -> new Shape(r, ins[t]);
                    };
                }

                @Override
                public NDArray delta(int t, NDArray x, NDArray[] p) {
                    return AdaLoraAdapter.delta(x, p[3 * t], p[3 * t + 1], p[3 * t + 2], scale);
                }

                @Override
                public NDArray regulariser(NDManager m, NDArray[] p) {
                    if (hp.orthRegWeight() == 0) {
                        return null;
                    }
                    NDArray eye = m.eye(r);
                    NDArray sum = null;
                    for (int t = 0; t < nt; t++) {
                        NDArray pp = p[3 * t].transpose().matMul(p[3 * t]).sub(eye).square().sum();
                        NDArray qq = p[3 * t + 2].matMul(p[3 * t + 2].transpose()).sub(eye).square().sum();
                        NDArray term = pp.add(qq);
                        sum = sum == null ? term : sum.add(term);
                    }
                    return Scalars.mul(sum, hp.orthRegWeight());
                }

                @Override
                public void afterStep(int step, NDArray[] values, NDArray[] grads) {
                    allocator.afterStep(step, values, grads);
                }

                @Override
                public boolean mayStop(int stepsDone) {
                    return allocator.finalised();
                }
            };
            AdapterTraining.Result result = AdapterTraining.train(lm, view, targets, TargetBatch.ofRequests(lm, requests), svd, hp.lr(),
                    hp.numSteps(), "AdaLoRA");
            int[][] kept = allocator.keptIndices();
            List<AdaLoraAdapter.Triplets> out = new ArrayList<>();
            for (int t = 0; t < nt; t++) {
                out.add(keep(targets.get(t), params[3 * t], params[3 * t + 1], params[3 * t + 2], r, kept[t]));
            }
            return new Trained(out, result);
        }
    }

    /** Trains and returns the payload bytes; diagnostics get steps, first and last loss, kept rank. */
    public byte[] compute(ModelView view, AdaLoraHparams hp, List<EditRequest> requests, double[] diagnostics) {
        Trained trained = train(view, hp, requests);
        trained.result().into(diagnostics);
        if (diagnostics != null) {
            diagnostics[3] = trained.totalRank();
        }
        return AdaLoraAdapter.pack(trained.triplets(), hp).toBytes();
    }

    private static float[] gaussian(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (rnd.nextGaussian() * INIT_STD);
        }
        return a;
    }

    /** The columns of P, entries of λ and rows of Q at {@code idx}. */
    private static AdaLoraAdapter.Triplets keep(AdapterTarget target, float[] p, float[] lambda, float[] q, int r, int[] idx) {
        int k = idx.length;
        int out = target.out();
        int in = target.in();
        float[] kp = new float[out * k];
        float[] kl = new float[k];
        float[] kq = new float[k * in];
        for (int j = 0; j < k; j++) {
            int i = idx[j];
            for (int row = 0; row < out; row++) {
                kp[row * k + j] = p[row * r + i];
            }
            kl[j] = lambda[i];
            System.arraycopy(q, i * in, kq, j * in, in);
        }
        return new AdaLoraAdapter.Triplets(target, kp, kl, kq);
    }
}
