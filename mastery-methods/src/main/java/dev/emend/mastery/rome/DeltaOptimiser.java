package dev.emend.mastery.rome;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.edit.EditException;
import dev.emend.core.edit.Progress;
import dev.emend.core.grad.Adam;
import dev.emend.core.grad.GradientSession;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ForwardInput;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.KvCache;
import dev.emend.core.model.LayerHook;
import dev.emend.core.model.Scalars;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.core.runtime.ModelView;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The value optimisation ROME, MEMIT and AlphaEdit share (EasyEdit's {@code compute_v} /
 * {@code compute_z}), for many requests at once. Each request has its own δ, added at its lookup
 * position to the MLP output of {@code layer} (ROME) or to the block output of {@code layer}
 * (MEMIT's z at its last layer), and its own Adam state, clamp and early stop (loss &lt; 0.05, as
 * EasyEdit stops); requests are independent, so they run as rows of one batch and the summed loss
 * gives each δ exactly its own gradient.
 *
 * <p>What does not depend on δ is computed once per chunk of requests, not once per step:
 * <ul>
 *   <li>every layer below the one δ enters: one clean pass keeps the residual stream there, and each
 *       step resumes from it ({@link DecoderModel#forwardFrom}); without space hooks ROME's δ, added
 *       to the MLP output, is added to the block output instead (the same sum), so ROME's steps too
 *       start above the edited layer;</li>
 *   <li>when the space has no hooks, also the positions before each row's lookup position in the
 *       layers δ flows through (causal attention: they cannot see δ): their keys and values are
 *       cached once ({@link KvCache#fork}), and each step runs only the positions from the lookup
 *       on. A space's own hooks may act on positions (a codebook at the last token), so with hooks
 *       each step runs the whole rows, still from the edit layer up;</li>
 *   <li>logits are computed only at the target positions and the KL position, not over the
 *       vocabulary at every position.</li>
 * </ul>
 * The numbers are those of the plain per-request loop up to float rounding (GoldenDeltasTest
 * holds them to EasyEdit's deltas within 1e-4).
 */
final class DeltaOptimiser {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaOptimiser.class);
    /** Rows (requests × (templates + 1)) per chunk: bounds the clean pass's activations. */
    static final int CHUNK_ROWS = 512;
    /** The cached prefix is rebuilt for the still-running requests once fewer than this share of its rows run. */
    private static final double REBUILD_SHARE = 0.75;

    private final RomeEditor editor;
    private final LanguageModel lm;
    private final RomeHyperParams hp;
    private final int layer;
    private final boolean residual;

    DeltaOptimiser(RomeEditor editor, LanguageModel lm, RomeHyperParams hp, int layer, boolean residual) {
        this.editor = editor;
        this.lm = lm;
        this.hp = hp;
        this.layer = layer;
        this.residual = residual;
    }

    /**
     * Fits every request's δ against {@code view}. {@code perStep} hears the fraction of
     * {@code v_num_grad_steps} done (ROME's "v optimisation"); {@code perRequest} hears
     * {@code requestStage} with the fraction of requests finished, once per request.
     */
    List<RomeEditor.DeltaFit> fit(ModelView view, List<RomeRequest> requests, Progress perStep, Progress perRequest,
                                  String requestStage) {
        int perRequestRows = editor.contextTemplates().size() + 1;
        int chunk = Math.max(1, CHUNK_ROWS / perRequestRows);
        // Requests are independent, so they may run in any grouping: chunks of similar target and
        // prompt lengths pad their rows least.
        int[] order = java.util.stream.IntStream.range(0, requests.size()).boxed()
                .sorted(java.util.Comparator.comparingInt((Integer i) -> targetLength(requests.get(i)))
                        .thenComparingInt(i -> requests.get(i).filledPrompt().length()))
                .mapToInt(Integer::intValue).toArray();
        RomeEditor.DeltaFit[] out = new RomeEditor.DeltaFit[requests.size()];
        int[] done = {0};
        for (int from = 0; from < order.length; from += chunk) {
            int[] part = Arrays.copyOfRange(order, from, Math.min(order.length, from + chunk));
            List<RomeEditor.DeltaFit> fits = new Chunk(view, Arrays.stream(part).mapToObj(requests::get).toList())
                    .run(perStep, () -> {
                        done[0]++;
                        perRequest.report(requestStage, (double) done[0] / requests.size());
                    });
            for (int k = 0; k < part.length; k++) {
                out[part[k]] = fits.get(k);
            }
        }
        return List.of(out);
    }

    private int targetLength(RomeRequest r) {
        return lm.tokenizer().encode(r.spacedTarget()).length;
    }

    /** One chunk's rows: per request its rewriting rows (one per template), then its KL row. */
    private final class Chunk {
        final ModelView view;
        final int n;
        final int rewriting;
        final int dModel;
        final int dff;
        final int batch;
        final int len;
        final long[][] ids;
        final int[][] mask;
        final int[] rowRequest;
        final int[] lookup;
        /** Per request: its target tokens, and the rows / positions they are read at. */
        final int[][] targets;
        final int[] klRow;
        final List<List<int[]>> labelAt = new ArrayList<>();
        final float[][] keys;
        final float[][] outs;
        /** Residual stream where the steps resume, {@code [batch][len][d_model]} flattened. */
        float[] start;
        final int startLayer;
        /**
         * Whether δ is added to the residual stream the steps start from (MEMIT; ROME without space
         * hooks) rather than by a hook at the MLP output of {@code layer} (ROME over a space's hooks).
         */
        final boolean atStart;
        /** Whether the steps run only the positions from each row's lookup on (no space hooks). */
        final boolean split;
        float[][] klInit;

        Chunk(ModelView view, List<RomeRequest> requests) {
            this.view = view;
            this.n = requests.size();
            List<String> templates = editor.contextTemplates();
            this.rewriting = templates.size();
            this.dModel = lm.config().hiddenSize();
            this.dff = lm.model().mlpDown(layer).inFeatures();
            this.split = view.hooks().isEmpty();
            // ROME adds δ to the MLP output of its layer, and the block output is the residual plus
            // that output, so without space hooks (which might act between the two) adding δ to the
            // block output is the same up to the order of one float addition, and the steps can start
            // one layer higher.
            this.atStart = residual || split;
            this.startLayer = atStart ? layer + 1 : layer;
            List<int[]> rows = new ArrayList<>();
            List<Integer> look = new ArrayList<>();
            List<Integer> owner = new ArrayList<>();
            targets = new int[n][];
            klRow = new int[n];
            for (int i = 0; i < n; i++) {
                RomeRequest request = requests.get(i);
                int[] target = lm.tokenizer().encode(request.spacedTarget());
                if (target.length == 0) {
                    throw new IllegalArgumentException("target_new '" + request.targetNew() + "' tokenizes to nothing");
                }
                targets[i] = target;
                List<int[]> labels = new ArrayList<>();
                for (String t : templates) {
                    RomeEditor.Located loc = editor.locate(t.replace("{}", request.promptTemplate()), request.subject());
                    int[] row = Arrays.copyOf(loc.ids(), loc.ids().length + target.length - 1);
                    System.arraycopy(target, 0, row, loc.ids().length, target.length - 1);
                    for (int j = 0; j < target.length; j++) {
                        labels.add(new int[] {rows.size(), loc.ids().length - 1 + j, target[j]});
                    }
                    rows.add(row);
                    look.add(loc.index());
                    owner.add(i);
                }
                labelAt.add(labels);
                RomeEditor.Located kl = editor.locate("{} is a", request.subject());
                klRow[i] = rows.size();
                rows.add(kl.ids());
                look.add(kl.index());
                owner.add(i);
            }
            batch = rows.size();
            len = rows.stream().mapToInt(a -> a.length).max().orElseThrow();
            ids = new long[batch][len];
            mask = new int[batch][len];
            rowRequest = owner.stream().mapToInt(Integer::intValue).toArray();
            lookup = look.stream().mapToInt(Integer::intValue).toArray();
            for (int b = 0; b < batch; b++) {
                int[] r = rows.get(b);
                for (int t = 0; t < r.length; t++) {
                    ids[b][t] = r[t];
                    mask[b][t] = 1;
                }
            }
            keys = new float[batch][];
            outs = new float[batch][];
        }

        /** The clean pass: keys and hooked vectors at the lookup positions, the resume state, P₀ at the KL rows. */
        void cleanPass() {
            try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                LayerHook capture = new LayerHook() {
                    @Override
                    public NDArray embeddings(NDArray hidden, HookContext ctx) {
                        if (startLayer == 0) {
                            start = hidden.toFloatArray();
                        }
                        return hidden;
                    }

                    @Override
                    public NDArray mlpOutput(int l, NDArray k, NDArray out, HookContext ctx) {
                        if (l == layer) {
                            atLookup(k.toFloatArray(), dff, keys);
                            if (!residual) {
                                atLookup(out.toFloatArray(), dModel, outs);
                            }
                        }
                        return out;
                    }

                    @Override
                    public NDArray blockOutput(int l, NDArray hidden, HookContext ctx) {
                        if (l == layer && residual) {
                            atLookup(hidden.toFloatArray(), dModel, outs);
                        }
                        if (l == startLayer - 1) {
                            start = hidden.toFloatArray();
                        }
                        return hidden;
                    }
                };
                DecoderModel.Headless r = lm.model().forwardHidden(m, view.weights(), new ForwardInput(ids, mask),
                        view.hooks().with(Hooks.of(capture)), null);
                if (start == null) {
                    throw new IllegalStateException("the residual stream entering layer " + startLayer + " was not captured");
                }
                int[] flat = new int[n];
                for (int i = 0; i < n; i++) {
                    flat[i] = klRow[i] * len + lookup[klRow[i]];
                }
                float[] lp = r.head().apply(rowsOf(m, r.hidden(), batch * len, flat)).logSoftmax(-1).toFloatArray();
                int vocab = lp.length / n;
                klInit = new float[n][];
                for (int i = 0; i < n; i++) {
                    klInit[i] = Arrays.copyOfRange(lp, i * vocab, (i + 1) * vocab);
                }
            }
        }

        private void atLookup(float[] all, int width, float[][] into) {
            for (int b = 0; b < batch; b++) {
                int at = (b * len + lookup[b]) * width;
                into[b] = Arrays.copyOfRange(all, at, at + width);
            }
        }

        List<RomeEditor.DeltaFit> run(Progress perStep, Runnable finishedOne) {
            cleanPass();
            double[][] delta = new double[n][dModel];
            Adam[] adam = new Adam[n];
            double[] wdScale = new double[n];
            double[] maxNorm = new double[n];
            for (int i = 0; i < n; i++) {
                double v0Norm = norm(toDouble(outs[firstRow(i)]));
                wdScale[i] = hp.vWeightDecay() / (v0Norm * v0Norm);
                maxNorm[i] = hp.clampNormFactor() * v0Norm;
                adam[i] = new Adam(dModel, hp.vLr());
            }
            int[] steps = new int[n];
            double[] lastLoss = new double[n];
            double[] lastProb = new double[n];
            boolean[] running = new boolean[n];
            Arrays.fill(running, true);
            int left = n;
            Steps s = null;
            try (GradientSession g = GradientSession.open()) {
                for (int it = 0; it < hp.vNumGradSteps() && left > 0; it++) {
                    perStep.report("v optimisation", (double) it / hp.vNumGradSteps());
                    if (s == null || left < REBUILD_SHARE * s.members.length) {
                        if (s != null) {
                            s.close();
                        }
                        s = new Steps(running);
                    }
                    int[] members = s.members;
                    float[][] grads;
                    float[] losses;
                    float[] nlls;
                    try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                        float[] d = new float[members.length * dModel];
                        for (int k = 0; k < members.length; k++) {
                            for (int j = 0; j < dModel; j++) {
                                d[k * dModel + j] = (float) delta[members[k]][j];
                            }
                        }
                        NDArray dArr = m.create(d, new Shape(members.length, dModel));
                        dArr.setRequiresGradient(true);
                        NDArray[] loss = s.losses(m, dArr);
                        losses = loss[0].toFloatArray();
                        nlls = loss[1].toFloatArray();
                        boolean backward = false;
                        for (int k = 0; k < members.length; k++) {
                            int i = members[k];
                            if (!running[i]) {
                                continue;
                            }
                            double dNorm = norm(delta[i]);
                            lastLoss[i] = losses[k] + wdScale[i] * dNorm;
                            lastProb[i] = Math.exp(-nlls[k]);
                            steps[i] = it + 1;
                            checkFinite(lastLoss[i], it);
                            if (LOG.isDebugEnabled()) {
                                LOG.debug("δ step {} request {}: loss {} (nll {}) |δ| {}", it, i, lastLoss[i], nlls[k], dNorm);
                            }
                            if (lastLoss[i] < RomeEditor.STOP_LOSS || it == hp.vNumGradSteps() - 1) {
                                running[i] = false;
                                left--;
                                finishedOne.run();
                            } else {
                                backward = true;
                            }
                        }
                        if (!backward) {
                            continue;
                        }
                        g.backward(loss[0].sum());
                        float[] all = dArr.getGradient().toFloatArray();
                        grads = new float[members.length][];
                        for (int k = 0; k < members.length; k++) {
                            grads[k] = Arrays.copyOfRange(all, k * dModel, (k + 1) * dModel);
                        }
                    }
                    for (int k = 0; k < members.length; k++) {
                        int i = members[k];
                        if (running[i]) {
                            adamStep(adam[i], delta[i], grads[k], wdScale[i], maxNorm[i]);
                        }
                    }
                }
            } finally {
                if (s != null) {
                    s.close();
                }
            }
            List<RomeEditor.DeltaFit> fits = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int from = firstRow(i);
                float[][] k = Arrays.copyOfRange(keys, from, from + rewriting + 1);
                float[][] o = Arrays.copyOfRange(outs, from, from + rewriting + 1);
                fits.add(new RomeEditor.DeltaFit(delta[i], k, o, rewriting, steps[i], lastLoss[i], lastProb[i]));
            }
            return fits;
        }

        private int firstRow(int request) {
            return request * (rewriting + 1);
        }

        private void checkFinite(double loss, int it) {
            if (Double.isFinite(loss)) {
                return;
            }
            String name = residual ? "MEMIT" : "ROME";
            if (it == 0) {
                // Nothing has been optimised yet: the space's weights themselves give a non-finite
                // loss (measured: MEMIT's 361st sequential edit on the default model), so a smaller
                // v_lr cannot help.
                throw EditException.precondition("space", name + " cannot edit this space: its current weights give a"
                        + " non-finite loss (" + loss + ") on the edit prompts before any optimisation step, as"
                        + " happens after many sequential weight edits; roll back recent edits or edit a new space");
            }
            throw EditException.invalid("v_lr", name + " δ optimisation diverged at step " + it + " (loss " + loss
                    + "); lower v_lr");
        }

        /**
         * The step inputs for a set of requests (all rows of each): with {@code split}, the
         * positions from each row's lookup on, with the positions before it cached; otherwise the
         * whole rows. Holds the cache until closed.
         */
        private final class Steps implements AutoCloseable {
            final int[] members;
            final NDManager manager = lm.manager().newSubManager();
            final KvCache prefix;
            final ForwardInput input;
            final int rows;
            final int width;
            final float[] hidden;
            /** Per row: the index of its request among the members, and where its step positions start in the full row. */
            final int[] member;
            final int[] offset;
            /** Per row: the chunk row it is. */
            final int[] source;

            Steps(boolean[] running) {
                members = java.util.stream.IntStream.range(0, n).filter(i -> running[i]).toArray();
                List<Integer> rowList = new ArrayList<>();
                List<Integer> memberList = new ArrayList<>();
                for (int k = 0; k < members.length; k++) {
                    for (int b = firstRow(members[k]); b < firstRow(members[k] + 1); b++) {
                        rowList.add(b);
                        memberList.add(k);
                    }
                }
                rows = rowList.size();
                source = rowList.stream().mapToInt(Integer::intValue).toArray();
                member = memberList.stream().mapToInt(Integer::intValue).toArray();
                offset = new int[rows];
                int prefixLen = 0;
                int w = 0;
                for (int r = 0; r < rows; r++) {
                    int b = rowList.get(r);
                    int real = Arrays.stream(mask[b]).sum();
                    offset[r] = split ? lookup[b] : 0;
                    prefixLen = Math.max(prefixLen, offset[r]);
                    w = Math.max(w, real - offset[r]);
                }
                if (prefixLen == 0) {
                    Arrays.fill(offset, 0);
                    w = 0;
                    for (int r = 0; r < rows; r++) {
                        w = Math.max(w, Arrays.stream(mask[rowList.get(r)]).sum());
                    }
                }
                width = w;
                long[][] sIds = new long[rows][width];
                int[][] sMask = new int[rows][width];
                hidden = new float[rows * width * dModel];
                long[][] pIds = new long[rows][Math.max(prefixLen, 1)];
                int[][] pMask = new int[rows][Math.max(prefixLen, 1)];
                float[] pHidden = new float[rows * Math.max(prefixLen, 1) * dModel];
                for (int r = 0; r < rows; r++) {
                    int b = rowList.get(r);
                    for (int t = 0; t < len && mask[b][t] == 1; t++) {
                        int src = (b * len + t) * dModel;
                        if (t < offset[r]) {
                            pIds[r][t] = ids[b][t];
                            pMask[r][t] = 1;
                            System.arraycopy(start, src, pHidden, (r * prefixLen + t) * dModel, dModel);
                        } else {
                            int p = t - offset[r];
                            sIds[r][p] = ids[b][t];
                            sMask[r][p] = 1;
                            System.arraycopy(start, src, hidden, (r * width + p) * dModel, dModel);
                        }
                    }
                }
                input = new ForwardInput(sIds, sMask);
                if (prefixLen > 0) {
                    prefix = new KvCache(manager, lm.config().numLayers());
                    try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
                        lm.model().forwardHiddenFrom(m, view.weights(), new ForwardInput(pIds, pMask), startLayer,
                                m.create(pHidden, new Shape(rows, prefixLen, dModel)), Hooks.NONE, prefix);
                    }
                } else {
                    prefix = null;
                }
            }

            /**
             * Per member: the loss without the weight-decay term (NLL + kl_factor·KL, which autograd
             * differentiates) and the NLL alone, for δ {@code d} ({@code [members, d_model]}).
             */
            NDArray[] losses(NDManager m, NDArray d) {
                // Row r's δ: one-hot row selection, exact (1·δ plus zeros).
                float[] own = new float[rows * members.length];
                float[] sel = new float[rows * width];
                for (int r = 0; r < rows; r++) {
                    own[r * members.length + member[r]] = 1f;
                    int b = source[r];
                    sel[r * width + lookup[b] - offset[r]] = 1f;
                }
                NDArray injected = m.create(sel, new Shape(rows, width, 1))
                        .mul(m.create(own, new Shape(rows, members.length)).matMul(d).expandDims(1));
                NDArray h = m.create(hidden, new Shape(rows, width, dModel));
                LayerHook inject = new LayerHook() {
                    @Override
                    public NDArray mlpOutput(int l, NDArray k, NDArray out, HookContext ctx) {
                        return l == layer ? out.add(injected) : out;
                    }
                };
                Hooks hooks = atStart ? view.hooks() : view.hooks().with(Hooks.of(inject));
                NDArray entering = atStart ? h.add(injected) : h;
                DecoderModel.Headless r;
                if (prefix != null) {
                    try (KvCache fork = prefix.fork()) {
                        r = lm.model().forwardHiddenFrom(m, view.weights(), input, startLayer, entering, hooks, fork);
                        return lossesAt(m, r, d);
                    }
                }
                r = lm.model().forwardHiddenFrom(m, view.weights(), input, startLayer, entering, hooks, null);
                return lossesAt(m, r, d);
            }

            private NDArray[] lossesAt(NDManager m, DecoderModel.Headless r, NDArray d) {
                // Positions read: every target token of every rewriting row, then each member's KL position.
                List<int[]> read = new ArrayList<>();
                for (int k = 0; k < members.length; k++) {
                    int i = members[k];
                    for (int[] at : labelAt.get(i)) {
                        int row = rowIndex(k, at[0] - firstRow(i));
                        read.add(new int[] {row * width + at[1] - offset[row], at[2], k});
                    }
                }
                int labelled = read.size();
                for (int k = 0; k < members.length; k++) {
                    int row = rowIndex(k, rewriting);
                    read.add(new int[] {row * width + lookup[klRow[members[k]]] - offset[row], 0, k});
                }
                int[] flat = read.stream().mapToInt(a -> a[0]).toArray();
                NDArray logp = r.head().apply(rowsOf(m, r.hidden(), rows * width, flat)).logSoftmax(-1);
                long[] labels = new long[labelled];
                float[] weights = new float[members.length * labelled];
                for (int q = 0; q < labelled; q++) {
                    int[] a = read.get(q);
                    labels[q] = a[1];
                    weights[a[2] * labelled + q] = 1f / (targets[members[a[2]]].length * rewriting);
                }
                NDArray picked = logp.get(new NDIndex("0:" + labelled))
                        .gather(m.create(labels, new Shape(labelled, 1)), 1).reshape(labelled, 1);
                NDArray nll = m.create(weights, new Shape(members.length, labelled)).matMul(picked).reshape(members.length).neg();
                NDArray klLogp = logp.get(new NDIndex(labelled + ":"));
                float[] init = new float[members.length * klInit[0].length];
                for (int k = 0; k < members.length; k++) {
                    System.arraycopy(klInit[members[k]], 0, init, k * klInit[0].length, klInit[0].length);
                }
                NDArray kl = klLogp.exp().mul(klLogp.sub(m.create(init, klLogp.getShape()))).sum(new int[] {1});
                return new NDArray[] {nll.add(Scalars.mul(kl, hp.klFactor())), nll};
            }

            /** The step row of member {@code k}'s {@code j}-th row (its templates, then its KL row). */
            private int rowIndex(int k, int j) {
                return k * (rewriting + 1) + j;
            }

            @Override
            public void close() {
                manager.close();
            }
        }
    }

    /** Rows {@code flat} of {@code hidden} viewed as {@code [total, d_model]} (a gather: exact, differentiable). */
    private NDArray rowsOf(NDManager m, NDArray hidden, int total, int[] flat) {
        int d = lm.config().hiddenSize();
        long[] index = new long[flat.length * d];
        for (int q = 0; q < flat.length; q++) {
            Arrays.fill(index, q * d, (q + 1) * d, flat[q]);
        }
        return hidden.reshape(total, d).gather(m.create(index, new Shape(flat.length, d)), 0);
    }

    /** One Adam step with the weight-decay gradient added, then the clamp to ‖δ‖ ≤ maxNorm. */
    private static void adamStep(Adam adam, double[] delta, float[] grad, double wdScale, double maxNorm) {
        double dNorm = norm(delta);
        double[] g = new double[delta.length];
        for (int i = 0; i < delta.length; i++) {
            // ‖δ‖ has no derivative at δ = 0 (autograd would give NaN): its gradient is added here.
            g[i] = grad[i] + (dNorm > 0 ? wdScale * delta[i] / dNorm : 0);
        }
        adam.step(delta, g);
        double after = norm(delta);
        if (after > maxNorm) {
            for (int i = 0; i < delta.length; i++) {
                delta[i] *= maxNorm / after;
            }
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v * v;
        }
        return Math.sqrt(s);
    }
}
