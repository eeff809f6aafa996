package dev.emend.mastery.ft;

import dev.emend.core.edit.Progress;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.grad.DeviceAdam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.grad.TrainedTensor;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.OverlayWeights;
import dev.emend.core.model.Weights;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Constrained fine-tuning (FT-L, Zhu et al. 2020 as used by ROME/EasyEdit) and FT-M (EasyEdit's
 * masked variant) of the MLP down-projections of chosen layers.
 *
 * <p>Each trained matrix is a float32 {@link TrainedTensor} copy of the view's current W on the
 * model's device; every step runs the forward pass and backward under a {@link GradientSession}
 * through a leaf view of it and updates it in place there ({@link DeviceAdam}; FT-L then clamps
 * each W to W₀ ± norm_constraint elementwise, a box built once on the device). Nothing
 * matrix-sized crosses to the host until ΔW is read at the end. Training stops
 * early once an epoch's mean loss is below 1e-2. The result is ΔW = W − W₀ per layer; the
 * view's weights are never written.
 *
 * <ul>
 *   <li>{@code prompt_last} (FT-L): the prompt alone is run; for each target token t_j,
 *       log P(t_j) is read at the LAST prompt position (all target tokens at the same position,
 *       as EasyEdit does), averaged over the target tokens, then over the requests.</li>
 *   <li>{@code target_new} (FT-M): prompt + target is run teacher-forced; the loss is the
 *       cross-entropy averaged over each request's target tokens (prompt positions masked),
 *       then over the requests of the chunk.</li>
 * </ul>
 * As in EasyEdit, a chunk whose loss is already below 1e-2 takes no Adam step, and the early
 * stop compares the epoch's request-weighted mean loss with 1e-2.
 */
public final class FtEditor {
    private Progress progress = Progress.NONE;
    private static final Logger LOG = LoggerFactory.getLogger(FtEditor.class);

    private final LanguageModel lm;
    private final FtHyperParams hp;

    public FtEditor(LanguageModel lm, FtHyperParams hp) {
        this.lm = lm;
        this.hp = hp.validate(lm.config());
    }

    /**
     * Reports each epoch ("fine-tuning", the fraction of {@code num_steps}); a report that throws
     * (a cancelled edit operation) stops the training before anything is returned.
     */
    public FtEditor withProgress(Progress p) {
        this.progress = p == null ? Progress.NONE : p;
        return this;
    }

    public FtHyperParams hyperParams() {
        return hp;
    }

    /** A chunk of requests as one padded batch with its loss weights. */
    private record Chunk(ForwardInput input, int batch, int len, int[] lastPos, long[][] targets, float[][] targetWeights,
                         long[] labels, float[] labelWeights) {}

    private Chunk chunk(List<FtRequest> requests) {
        int batch = requests.size();
        List<int[]> rows = new ArrayList<>();
        int[] lastPos = new int[batch];
        List<int[]> targets = new ArrayList<>();
        for (FtRequest r : requests) {
            int[][] pt = lm.tokenizePair(r.prompt(), r.targetNew().strip());
            int[] p = pt[0];
            int[] t = pt[1];
            if (t.length == 0) {
                throw new IllegalArgumentException("target_new '" + r.targetNew() + "' tokenizes to nothing");
            }
            targets.add(t);
            int[] row = p;
            if (hp.isTargetNew()) {
                row = java.util.Arrays.copyOf(p, p.length + t.length - 1);
                System.arraycopy(t, 0, row, p.length, t.length - 1);
            }
            rows.add(row);
        }
        int len = rows.stream().mapToInt(a -> a.length).max().orElseThrow();
        int maxT = targets.stream().mapToInt(a -> a.length).max().orElseThrow();
        long[][] ids = new long[batch][len];
        int[][] mask = new int[batch][len];
        long[][] tIds = new long[batch][maxT];
        float[][] tW = new float[batch][maxT];
        long[] labels = new long[batch * len];
        float[] labelWeights = new float[batch * len];
        for (int b = 0; b < batch; b++) {
            int[] row = rows.get(b);
            int[] t = targets.get(b);
            for (int i = 0; i < row.length; i++) {
                ids[b][i] = row[i];
                mask[b][i] = 1;
            }
            int promptLen = hp.isTargetNew() ? row.length - (t.length - 1) : row.length;
            lastPos[b] = promptLen - 1;
            for (int j = 0; j < t.length; j++) {
                tIds[b][j] = t[j];
                tW[b][j] = 1f / (t.length * batch);
                if (hp.isTargetNew()) {
                    // FT-M: token j is predicted at prompt position promptLen-1+j (teacher forcing).
                    int pos = promptLen - 1 + j;
                    labels[b * len + pos] = t[j];
                    labelWeights[b * len + pos] = 1f / (t.length * batch);
                }
            }
        }
        return new Chunk(new ForwardInput(ids, mask), batch, len, lastPos, tIds, tW, labels, labelWeights);
    }

    /** The differentiable loss of one chunk. */
    private NDArray loss(NDManager m, Weights weights, Hooks hooks, Chunk c) {
        ForwardResult r = lm.model().forward(m, weights, c.input(), hooks, null);
        NDArray logp = r.logits().logSoftmax(-1);
        if (hp.isTargetNew()) {
            NDArray gathered = logp.gather(m.create(c.labels(), new Shape(c.batch(), c.len(), 1)), 2)
                    .reshape(c.batch(), c.len());
            return gathered.mul(m.create(c.labelWeights(), new Shape(c.batch(), c.len()))).sum().neg();
        }
        float[] sel = new float[c.batch() * c.len()];
        for (int b = 0; b < c.batch(); b++) {
            sel[b * c.len() + c.lastPos()[b]] = 1f;
        }
        NDArray last = logp.mul(m.create(sel, new Shape(c.batch(), c.len(), 1))).sum(new int[] {1}); // [B, V]
        int maxT = c.targets()[0].length;
        long[] flat = new long[c.batch() * maxT];
        float[] w = new float[c.batch() * maxT];
        for (int b = 0; b < c.batch(); b++) {
            System.arraycopy(c.targets()[b], 0, flat, b * maxT, maxT);
            System.arraycopy(c.targetWeights()[b], 0, w, b * maxT, maxT);
        }
        NDArray gathered = last.gather(m.create(flat, new Shape(c.batch(), maxT)), 1);
        return gathered.mul(m.create(w, new Shape(c.batch(), maxT))).sum().neg();
    }

    /** Trains on {@code requests} against {@code view} and returns ΔW per layer, without applying it. */
    public FtUpdate compute(ModelView view, List<FtRequest> requests) {
        if (requests == null || requests.isEmpty()) {
            throw new IllegalArgumentException("no edit requests");
        }
        List<Chunk> chunks = new ArrayList<>();
        for (int from = 0; from < requests.size(); from += hp.batchSize()) {
            chunks.add(chunk(requests.subList(from, Math.min(requests.size(), from + hp.batchSize()))));
        }
        List<Integer> layers = hp.layers();
        int nl = layers.size();
        String[] names = new String[nl];
        Shape[] shapes = new Shape[nl];
        float eps = (float) hp.normConstraint();
        int epochs = 0;
        double initialLoss = Double.NaN;
        double lastLoss = Double.NaN;
        Hooks hooks = view.hooks();
        List<FtUpdate.LayerDelta> deltas = new ArrayList<>();
        try (NDManager state = lm.manager().newSubManager()) {
            TrainedTensor[] w = new TrainedTensor[nl];
            DeviceAdam[] adam = new DeviceAdam[nl];
            NDArray[] lo = new NDArray[nl];
            NDArray[] hi = new NDArray[nl];
            for (int i = 0; i < nl; i++) {
                LinearRef down = lm.model().mlpDown(layers.get(i));
                names[i] = down.weight();
                NDArray base = view.weights().get(names[i]);
                shapes[i] = base.getShape();
                w[i] = TrainedTensor.copyOf(state, base);
                adam[i] = new DeviceAdam(w[i], hp.lr());
                if (eps > 0) {
                    // FT-L's box W₀ ± norm_constraint, built once on the device
                    lo[i] = keep(state, w[i].value().sub(eps));
                    hi[i] = keep(state, w[i].value().add(eps));
                }
            }
            try (GradientSession g = GradientSession.open()) {
                for (int epoch = 0; epoch < hp.numSteps(); epoch++) {
                    progress.report("fine-tuning", (double) epoch / hp.numSteps());
                    epochs = epoch + 1;
                    double sum = 0;
                    for (Chunk c : chunks) {
                        try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                            NDArray[] leaves = new NDArray[nl];
                            Map<String, NDArray> trained = new java.util.HashMap<>();
                            for (int i = 0; i < nl; i++) {
                                leaves[i] = w[i].leaf();
                                trained.put(names[i], leaves[i]);
                            }
                            Weights weights = new Trained(view.weights(), trained);
                            NDArray loss = loss(m, weights, hooks, c);
                            double value = loss.getFloat();
                            if (!Double.isFinite(value)) {
                                throw new IllegalStateException(hp.methodName() + " diverged at epoch " + epoch + " (loss "
                                        + value + "); lower lr");
                            }
                            sum += value * c.batch();
                            if (value < FtHyperParams.STOP_LOSS) {
                                continue;
                            }
                            g.zeroGradients();
                            g.backward(loss);
                            for (int i = 0; i < nl; i++) {
                                adam[i].step(leaves[i].getGradient());
                                if (eps > 0) {
                                    w[i].clip(lo[i], hi[i]);
                                }
                            }
                        }
                    }
                    lastLoss = sum / requests.size();
                    if (epoch == 0) {
                        initialLoss = lastLoss;
                    }
                    LOG.debug("{} epoch {}: loss {}", hp.methodName(), epoch, lastLoss);
                    if (lastLoss < FtHyperParams.STOP_LOSS) {
                        break;
                    }
                }
            }
            for (int i = 0; i < nl; i++) {
                deltas.add(new FtUpdate.LayerDelta(layers.get(i), names[i], shapes[i].getShape(),
                        w[i].minusToHost(view.weights().get(names[i]))));
            }
        }
        return new FtUpdate(hp.methodName(), deltas, epochs, initialLoss, lastLoss);
    }

    /** {@code a}, outside any open scope, closed with {@code owner}. */
    private static NDArray keep(NDManager owner, NDArray a) {
        NDScope.unregister(a);
        a.attach(owner);
        return a;
    }

    /** Trains on the overlay's current weights (with {@code hooks}) and applies the result. */
    public FtUpdate edit(OverlayWeights overlay, Hooks hooks, List<FtRequest> requests) {
        FtUpdate u = compute(new ModelView(overlay, hooks), requests);
        apply(overlay, u);
        return u;
    }

    /** Writes W + ΔW into the overlay (the base is never touched). */
    public static void apply(OverlayWeights overlay, FtUpdate update) {
        write(overlay, update, 1f);
    }

    /** Writes W − ΔW: undoes {@link #apply} up to float rounding. */
    public static void revert(OverlayWeights overlay, FtUpdate update) {
        write(overlay, update, -1f);
    }

    private static void write(OverlayWeights overlay, FtUpdate update, float sign) {
        for (FtUpdate.LayerDelta d : update.deltas()) {
            NDArray w = overlay.get(d.weightName());
            try (NDManager m = w.getManager().newSubManager(); NDScope scope = new NDScope()) {
                float[] signed = d.delta().clone();
                if (sign != 1f) {
                    for (int k = 0; k < signed.length; k++) {
                        signed[k] = sign * signed[k];
                    }
                }
                overlay.replace(d.weightName(), OverlayWeights.sumInFloat32(m.create(signed, new Shape(d.shape())), w));
            }
        }
    }

    /** The view's weights with the trained copies in place of their names. */
    private record Trained(Weights base, Map<String, NDArray> trained) implements Weights {
        @Override
        public NDArray get(String name) {
            NDArray t = trained.get(name);
            return t != null ? t : base.get(name);
        }

        @Override
        public boolean has(String name) {
            return trained.containsKey(name) || base.has(name);
        }

        @Override
        public Set<String> names() {
            Set<String> s = new HashSet<>(base.names());
            s.addAll(trained.keySet());
            return s;
        }
    }
}
