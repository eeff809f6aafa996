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
 *
 * <p>Two ways to get dLoss/dδ, the same numbers up to float rounding (DeltaBackwardTest):
 * <ul>
 *   <li><b>graph</b>: one forward pass under autograd from the layer δ enters to the logits, one
 *       backward. Autograd keeps what the backward needs until it is done, including the float32
 *       copy of every half-precision weight each block and the LM head convert per use: about
 *       3 GB for a Llama-3.2-1B-shaped bf16 checkpoint edited at layer 8 (BENCHMARKS.md, issue 15).</li>
 *   <li><b>layer-wise</b> (gradient checkpointing by hand: DJL 0.36 cannot express a custom
 *       autograd function that would re-convert a weight in its backward): the blocks run once
 *       without autograd, keeping only the residual stream at each block boundary; the logits of
 *       the read rows are computed without autograd too and made a leaf, the loss's backward gives
 *       dLoss/dlogits, and dLoss/dh = dLoss/dlogits · W_head is computed in pieces of the head
 *       ({@link DecoderModel.Headless#inputGradient}); then the final norm and each block from the
 *       top down are recomputed from their boundary under autograd and backpropagated alone (a
 *       surrogate loss (out · g_out).sum()), so at most one block's converted weights are alive.</li>
 * </ul>
 * The layer-wise path runs whenever a weight is held in half precision (that memory is the
 * problem it solves); float32 weights keep the graph path, which is faster there (the layer-wise
 * one runs the blocks above δ twice forward and pays a Java round trip per block: 15–47 % more CPU
 * per step on the default model, BENCHMARKS.md, issue 15). The system
 * property {@value #BACKWARD_PROPERTY} = {@code auto} | {@code graph} | {@code layerwise} overrides
 * the choice (tests and benchmarks).
 */
final class DeltaOptimiser {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaOptimiser.class);
    /** Rows (requests × (templates + 1)) per chunk: bounds the clean pass's activations. */
    static final int CHUNK_ROWS = 512;
    /** Overrides {@link #CHUNK_ROWS} (benchmarks). */
    static final String CHUNK_ROWS_PROPERTY = "emend.valueStepChunkRows";
    /**
     * The step rows are narrowed to the still-running requests once fewer than this share of them
     * run. Narrowing selects rows of the cached prefix instead of running it again, so it costs
     * far less than a step: every finished request leaves at once.
     */
    private static final double REBUILD_SHARE = 1.0;
    /** Overrides the choice of backward: {@code auto} (default), {@code graph} or {@code layerwise}. */
    static final String BACKWARD_PROPERTY = "emend.valueStepBackward";

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
        return fit(view, requests, perStep, perRequest, requestStage, null);
    }

    /** As above; a non-null {@code tap} is filled by the clean passes (see {@link RomeEditor.KeyTap}). */
    List<RomeEditor.DeltaFit> fit(ModelView view, List<RomeRequest> requests, Progress perStep, Progress perRequest,
                                  String requestStage, RomeEditor.KeyTap tap) {
        int perRequestRows = editor.contextTemplates().size() + 1;
        int chunk = Math.max(1, Integer.getInteger(CHUNK_ROWS_PROPERTY, CHUNK_ROWS) / perRequestRows);
        // Requests are independent, so they may run in any grouping: chunks of similar target and
        // prompt lengths pad their rows least.
        int[] order = java.util.stream.IntStream.range(0, requests.size()).boxed()
                .sorted(java.util.Comparator.comparingInt((Integer i) -> targetLength(requests.get(i)))
                        .thenComparingInt(i -> requests.get(i).filledPrompt().length()))
                .mapToInt(Integer::intValue).toArray();
        boolean layerwise = layerwise(view);
        RomeEditor.DeltaFit[] out = new RomeEditor.DeltaFit[requests.size()];
        int[] done = {0};
        for (int from = 0; from < order.length; from += chunk) {
            int[] part = Arrays.copyOfRange(order, from, Math.min(order.length, from + chunk));
            List<RomeEditor.DeltaFit> fits = new Chunk(view, Arrays.stream(part).mapToObj(requests::get).toList(), layerwise,
                    tap, part)
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

    /**
     * dLoss/dδ (without the weight-decay term, which {@link #adamStep} adds) for one request at δ =
     * {@code delta}, by the layer-wise backward or by one autograd graph: what every step computes,
     * exposed so that DeltaBackwardTest can hold the two to each other.
     */
    float[] gradient(ModelView view, RomeRequest request, double[] delta, boolean layerwise) {
        Chunk c = new Chunk(view, List.of(request), layerwise, null, new int[] {0});
        c.cleanPass();
        float[] d = new float[delta.length];
        for (int j = 0; j < d.length; j++) {
            d[j] = (float) delta[j];
        }
        try (GradientSession g = GradientSession.open(); Chunk.Steps s = c.new Steps(new boolean[] {true}, null);
             NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
            // The KL term's reference distribution comes from the pass at δ = 0, as in a run.
            NDArray zero = m.zeros(new Shape(1, d.length));
            if (layerwise) {
                s.new Layerwise(m, zero);
            } else {
                s.new Graph(m, zero);
            }
            NDArray dArr = m.create(d, new Shape(1, d.length));
            dArr.setRequiresGradient(true);
            Chunk.Steps.Pass pass = layerwise ? s.new Layerwise(m, dArr) : s.new Graph(m, dArr);
            return pass.gradient(g).toFloatArray();
        }
    }

    /**
     * Whether the steps use the layer-wise backward: with {@value #BACKWARD_PROPERTY} unset or
     * {@code auto}, when any weight of the model is held in another dtype than float32.
     */
    boolean layerwise(ModelView view) {
        String mode = System.getProperty(BACKWARD_PROPERTY, "auto").trim();
        switch (mode) {
            case "graph":
                return false;
            case "layerwise":
                return true;
            case "auto":
                for (String name : lm.model().parameterShapes().keySet()) {
                    if (view.weights().has(name) && view.weights().get(name).getDataType() != ai.djl.ndarray.types.DataType.FLOAT32) {
                        return true;
                    }
                }
                return false;
            default:
                throw new IllegalArgumentException("system property " + BACKWARD_PROPERTY + "='" + mode
                        + "' is not a value-step backward; use auto (the default), graph or layerwise");
        }
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
        /** Whether each step's gradient comes from the layer-wise backward rather than one autograd graph. */
        final boolean layerwise;
        float[][] klInit;

        /** Fills this tap in the clean pass, if not null; {@code global[i]} is request i's index there. */
        final RomeEditor.KeyTap tap;
        final int[] global;

        Chunk(ModelView view, List<RomeRequest> requests, boolean layerwise, RomeEditor.KeyTap tap, int[] global) {
            this.view = view;
            this.tap = tap;
            this.global = global;
            this.layerwise = layerwise;
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

        /**
         * The clean pass: keys and hooked vectors at the lookup positions and the resume state. It
         * runs the blocks up to {@code layer} only; the KL rows' unedited distribution comes from
         * the first step, where δ = 0 (as EasyEdit's {@code compute_v} takes it), not from running
         * the blocks above over every row here.
         */
        void cleanPass() {
            try (NDManager m = lm.manager().newSubManager(); NDScope scope = new NDScope()) {
                LayerHook capture = new LayerHook() {
                    @Override
                    public NDArray embeddings(NDArray hidden, HookContext ctx) {
                        if (startLayer == 0) {
                            start = hidden.toFloatArray();
                        }
                        if (tap != null && tap.layer() == 0) {
                            tapEntering(hidden.toFloatArray());
                        }
                        return hidden;
                    }

                    @Override
                    public NDArray mlpOutput(int l, NDArray k, NDArray out, HookContext ctx) {
                        if (tap != null && l == tap.layer()) {
                            tapKeys(m, k);
                        }
                        if (l == layer) {
                            atLookup(m, k, keys);
                            if (!residual) {
                                atLookup(m, out, outs);
                            }
                        }
                        return out;
                    }

                    @Override
                    public NDArray blockOutput(int l, NDArray hidden, HookContext ctx) {
                        if (l == layer && residual) {
                            atLookup(m, hidden, outs);
                        }
                        if (l == startLayer - 1) {
                            start = hidden.toFloatArray();
                        }
                        if (tap != null && l == tap.layer() - 1) {
                            tapEntering(hidden.toFloatArray());
                        }
                        return hidden;
                    }
                };
                // One block at a time, each block's activations freed before the next: a whole pass
                // keeps every layer's until it ends (measured on a Llama-3.2-1B-shaped checkpoint,
                // 6 rows: +550 MB, the edit's peak before this). Same operations, same numbers.
                ForwardInput in = new ForwardInput(ids, mask);
                Hooks hooks = view.hooks().with(Hooks.of(capture));
                NDArray x = null;
                for (int l = 0; l <= layer; l++) {
                    try (NDManager block = m.newSubManager()) {
                        if (x != null) {
                            x.attach(block);
                        }
                        x = lm.model().blockOutputs(block, view.weights(), in, l, x, l + 1, hooks, null)[0];
                        x.attach(m);
                    }
                }
                if (start == null) {
                    throw new IllegalStateException("the residual stream entering layer " + startLayer + " was not captured");
                }
                klInit = new float[n][];
            }
        }

        /** The tap's keys: each rewriting row's key at its lookup position, averaged per request over the templates with the tap's weights. */
        private void tapKeys(NDManager m, NDArray k) {
            int dffTap = (int) k.getShape().tail();
            float[] at = lookupRows(m, k);
            for (int b = 0; b < batch; b++) {
                if (isKlRow(b)) {
                    continue;
                }
                double[] dst = tap.keys()[global[rowRequest[b]]];
                double w = tap.templateWeights()[b - firstRow(rowRequest[b])];
                for (int p = 0; p < dffTap; p++) {
                    dst[p] += at[b * dffTap + p] * w;
                }
            }
        }

        /** The tap's residual stream entering its layer: each rewriting row's positions 0..lookup. */
        private void tapEntering(float[] all) {
            for (int b = 0; b < batch; b++) {
                if (isKlRow(b)) {
                    continue;
                }
                int from = b * len * dModel;
                tap.entering()[global[rowRequest[b]]][b - firstRow(rowRequest[b])] =
                        Arrays.copyOfRange(all, from, from + (lookup[b] + 1) * dModel);
            }
        }

        private boolean isKlRow(int b) {
            return b == klRow[rowRequest[b]];
        }

        /** Each row's vector of {@code x} ({@code [batch, len, width]}) at its lookup position, into {@code into[b]}. */
        private void atLookup(NDManager m, NDArray x, float[][] into) {
            int width = (int) x.getShape().tail();
            float[] at = lookupRows(m, x);
            for (int b = 0; b < batch; b++) {
                into[b] = Arrays.copyOfRange(at, b * width, (b + 1) * width);
            }
        }

        /**
         * Each row's vector of {@code x} at its lookup position, {@code [batch, width]} row-major:
         * gathered on the device, so only those rows come to the host.
         */
        private float[] lookupRows(NDManager m, NDArray x) {
            int[] flat = new int[batch];
            for (int b = 0; b < batch; b++) {
                flat[b] = b * len + lookup[b];
            }
            return rowsOf(m, x, batch * len, flat).toFloatArray();
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
                        Steps previous = s;
                        s = new Steps(running, previous);
                        if (previous != null) {
                            previous.close();
                        }
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
                        Steps.Pass pass = layerwise ? s.new Layerwise(m, dArr) : s.new Graph(m, dArr);
                        NDArray[] loss = pass.losses;
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
                        float[] all = pass.gradient(g).toFloatArray();
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
            /**
             * The positions whose logits the loss reads, as rows of the flattened step positions:
             * every target token of every rewriting row ({@link #labelled} of them), then each
             * member's KL position; their labels, each label's weight per member, and the KL rows'
             * unedited log-probabilities.
             */
            final int[] flat;
            final int labelled;
            final long[] labels;
            final float[] labelWeights;
            /** The KL rows' unedited log-probabilities per member; null until the first pass (δ = 0) gives them. */
            float[] klStart;

            /**
             * The rows of the requests {@code running} marks. With {@code previous} (whose rows
             * include these), the cached prefix is taken from its rows rather than computed again.
             */
            Steps(boolean[] running, Steps previous) {
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
                boolean reuse = prefixLen > 0 && previous != null && previous.prefix != null;
                long[][] pIds = new long[rows][Math.max(prefixLen, 1)];
                int[][] pMask = new int[rows][Math.max(prefixLen, 1)];
                float[] pHidden = reuse ? null : new float[rows * Math.max(prefixLen, 1) * dModel];
                for (int r = 0; r < rows; r++) {
                    int b = rowList.get(r);
                    for (int t = 0; t < len && mask[b][t] == 1; t++) {
                        int src = (b * len + t) * dModel;
                        if (t < offset[r]) {
                            pIds[r][t] = ids[b][t];
                            pMask[r][t] = 1;
                            if (!reuse) {
                                System.arraycopy(start, src, pHidden, (r * prefixLen + t) * dModel, dModel);
                            }
                        } else {
                            int p = t - offset[r];
                            sIds[r][p] = ids[b][t];
                            sMask[r][p] = 1;
                            System.arraycopy(start, src, hidden, (r * width + p) * dModel, dModel);
                        }
                    }
                }
                input = new ForwardInput(sIds, sMask);
                List<int[]> read = new ArrayList<>();
                for (int k = 0; k < members.length; k++) {
                    int i = members[k];
                    for (int[] at : labelAt.get(i)) {
                        int row = rowIndex(k, at[0] - firstRow(i));
                        read.add(new int[] {row * width + at[1] - offset[row], at[2], k});
                    }
                }
                labelled = read.size();
                for (int k = 0; k < members.length; k++) {
                    int row = rowIndex(k, rewriting);
                    read.add(new int[] {row * width + lookup[klRow[members[k]]] - offset[row], 0, k});
                }
                flat = read.stream().mapToInt(a -> a[0]).toArray();
                labels = new long[labelled];
                labelWeights = new float[members.length * labelled];
                for (int q = 0; q < labelled; q++) {
                    int[] a = read.get(q);
                    labels[q] = a[1];
                    labelWeights[a[2] * labelled + q] = 1f / (targets[members[a[2]]].length * rewriting);
                }
                if (Arrays.stream(members).allMatch(i -> klInit[i] != null)) {
                    int vocab = klInit[members[0]].length;
                    klStart = new float[members.length * vocab];
                    for (int k = 0; k < members.length; k++) {
                        System.arraycopy(klInit[members[k]], 0, klStart, k * vocab, vocab);
                    }
                }
                if (reuse) {
                    // The prefix's keys and values do not depend on δ: the rows that stay are
                    // selected from the previous cache (its prefix may be wider: the extra
                    // positions are padding in these rows, and positions count real tokens only).
                    int[] at = new int[batch];
                    Arrays.fill(at, -1);
                    for (int r = 0; r < previous.rows; r++) {
                        at[previous.source[r]] = r;
                    }
                    prefix = previous.prefix.select(manager, Arrays.stream(source).map(b -> at[b]).toArray());
                } else if (prefixLen > 0) {
                    prefix = new KvCache(manager, lm.config().numLayers());
                    ForwardInput prefixInput = new ForwardInput(pIds, pMask);
                    Shape prefixShape = new Shape(rows, prefixLen, dModel);
                    try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
                        // Nothing here needs a gradient (the prefix cannot see δ).
                        GradientSession.untracked(() -> lm.model().forwardHiddenFrom(m, view.weights(), prefixInput,
                                startLayer, m.create(pHidden, prefixShape), Hooks.NONE, prefix));
                    }
                } else {
                    prefix = null;
                }
            }

            /** Row r's δ at its lookup position, zeros elsewhere ({@code [rows, width, d_model]}): a one-hot selection, exact. */
            private NDArray injected(NDManager m, NDArray d) {
                float[] own = new float[rows * members.length];
                float[] sel = new float[rows * width];
                for (int r = 0; r < rows; r++) {
                    own[r * members.length + member[r]] = 1f;
                    int b = source[r];
                    sel[r * width + lookup[b] - offset[r]] = 1f;
                }
                return m.create(sel, new Shape(rows, width, 1))
                        .mul(m.create(own, new Shape(rows, members.length)).matMul(d).expandDims(1));
            }

            /** The space's hooks, plus (unless δ enters at the start) the hook adding {@code injected} to the MLP output of {@code layer}. */
            private Hooks hooks(NDArray injected) {
                if (atStart) {
                    return view.hooks();
                }
                LayerHook inject = new LayerHook() {
                    @Override
                    public NDArray mlpOutput(int l, NDArray k, NDArray out, HookContext ctx) {
                        return l == layer ? out.add(injected) : out;
                    }
                };
                return view.hooks().with(Hooks.of(inject));
            }

            /** The residual stream entering {@code startLayer}: the clean one, plus δ when it enters there. */
            private NDArray entering(NDManager m, NDArray injected) {
                NDArray h = m.create(hidden, new Shape(rows, width, dModel));
                return atStart ? h.add(injected) : h;
            }

            /** Rows {@code flat} of the final hidden states {@code r}, as {@code [read, d_model]}. */
            private NDArray read(NDManager m, DecoderModel.Headless r) {
                return rowsOf(m, r.hidden(), rows * width, flat);
            }

            /**
             * One step for δ {@code d} ({@code [members, d_model]}, requiring a gradient): per member,
             * {@code losses[0]} the loss without the weight-decay term (NLL + kl_factor·KL, which is
             * differentiated) and {@code losses[1]} the NLL alone; {@link #gradient} gives dLoss/dδ.
             */
            abstract class Pass {
                NDArray[] losses;

                /** dΣlosses[0]/dδ, {@code [members, d_model]}. */
                abstract NDArray gradient(GradientSession g);
            }

            /** The whole step under autograd: one graph from δ to the loss, one backward. */
            final class Graph extends Pass {
                private final NDArray d;

                Graph(NDManager m, NDArray d) {
                    this.d = d;
                    NDArray injected = injected(m, d);
                    try (KvCache fork = prefix == null ? null : prefix.fork()) {
                        DecoderModel.Headless r = lm.model().forwardHiddenFrom(m, view.weights(), input, startLayer,
                                entering(m, injected), hooks(injected), fork);
                        losses = lossesAt(m, r.head().apply(read(m, r)));
                    }
                }

                @Override
                NDArray gradient(GradientSession g) {
                    g.backward(losses[0].sum());
                    return d.getGradient();
                }
            }

            /**
             * The layer-wise backward (see the class comment): the forward runs without autograd and
             * keeps the residual stream at each block boundary; {@link #gradient} recomputes the
             * final norm and then one block at a time from the top, each under its own short graph.
             */
            final class Layerwise extends Pass {
                private final NDManager m;
                private final NDArray d;
                /** [i]: the residual stream entering block startLayer + i; the last one leaves the top block. */
                private final NDArray[] boundary;
                /** The logits of the read rows: a leaf, so the loss's backward stops at them. */
                private final NDArray logits;

                Layerwise(NDManager m, NDArray d) {
                    this.m = m;
                    this.d = d;
                    int top = lm.config().numLayers();
                    boundary = new NDArray[top - startLayer + 1];
                    NDArray plain = d.stopGradient();
                    try (NDManager pass = m.newSubManager()) {
                        logits = GradientSession.untracked(() -> {
                            NDArray injected = injected(pass, plain);
                            boundary[0] = entering(pass, injected);
                            if (startLayer < top) {
                                try (KvCache fork = prefix == null ? null : prefix.fork()) {
                                    NDArray[] out = lm.model().blockOutputs(pass, view.weights(), input, startLayer,
                                            boundary[0], top, hooks(injected), fork);
                                    System.arraycopy(out, 0, boundary, 1, out.length);
                                }
                            }
                            DecoderModel.Headless r = lm.model().forwardHiddenFrom(pass, view.weights(), input, top,
                                    boundary[top - startLayer], view.hooks(), null);
                            return r.head().apply(read(pass, r));
                        });
                        for (NDArray b : boundary) {
                            b.attach(m);
                        }
                        logits.attach(m);
                    }
                    logits.setRequiresGradient(true);
                    losses = lossesAt(m, logits);
                }

                @Override
                NDArray gradient(GradientSession g) {
                    g.backward(losses[0].sum());
                    int top = lm.config().numLayers();
                    // The final norm and the head: dL/dh from dL/dlogits without autograd, then the norm's graph.
                    NDArray grad;
                    try (NDManager bm = m.newSubManager()) {
                        NDArray leaf = leaf(bm, boundary[top - startLayer]);
                        DecoderModel.Headless r = lm.model().forwardHiddenFrom(bm, view.weights(), input, top, leaf,
                                view.hooks(), null);
                        NDArray dh = GradientSession.untracked(() -> r.inputGradient().apply(logits.getGradient()));
                        g.backward(read(bm, r).mul(dh).sum());
                        grad = kept(leaf.getGradient());
                    }
                    for (int l = top - 1; l >= startLayer; l--) {
                        // Where δ enters by a hook (over a space's hooks), the bottom block's input
                        // does not depend on δ: its graph starts at δ itself.
                        boolean enters = !atStart && l == layer;
                        try (NDManager bm = m.newSubManager();
                             KvCache fork = prefix == null ? null : prefix.fork()) {
                            NDArray in = enters ? bm.create(hidden, new Shape(rows, width, dModel)) : leaf(bm, boundary[l - startLayer]);
                            NDArray out = lm.model().blockOutputs(bm, view.weights(), input, l, in, l + 1,
                                    enters ? hooks(injected(bm, d)) : view.hooks(), fork)[0];
                            g.backward(out.mul(grad).sum());
                            if (!enters) {
                                grad = kept(in.getGradient());
                            }
                        }
                    }
                    if (atStart) {
                        try (NDManager bm = m.newSubManager()) {
                            g.backward(injected(bm, d).mul(grad).sum());
                        }
                    }
                    return d.getGradient();
                }

                /** {@code boundary} as a leaf requiring a gradient, owned by {@code bm}. */
                private NDArray leaf(NDManager bm, NDArray boundary) {
                    NDArray leaf = boundary.stopGradient();
                    leaf.attach(bm);
                    leaf.setRequiresGradient(true);
                    return leaf;
                }

                /** A copy of {@code gradient} owned by the step, outliving the block it came from. */
                private NDArray kept(NDArray gradient) {
                    NDArray copy = gradient.duplicate();
                    copy.attach(m);
                    return copy;
                }
            }

            /** Per member: NLL + kl_factor·KL and the NLL, from the logits of the read rows ({@link #flat} order). */
            private NDArray[] lossesAt(NDManager m, NDArray logits) {
                NDArray logp = logits.logSoftmax(-1);
                NDArray picked = logp.get(new NDIndex("0:" + labelled))
                        .gather(m.create(labels, new Shape(labelled, 1)), 1).reshape(labelled, 1);
                NDArray nll = m.create(labelWeights, new Shape(members.length, labelled)).matMul(picked).reshape(members.length).neg();
                NDArray klLogp = logp.get(new NDIndex(labelled + ":"));
                NDArray reference;
                if (klStart == null) {
                    // The first pass, at δ = 0: its own distribution is the reference (KL 0, gradient 0).
                    reference = klLogp.stopGradient();
                    klStart = reference.toFloatArray();
                    int vocab = klStart.length / members.length;
                    for (int k = 0; k < members.length; k++) {
                        klInit[members[k]] = Arrays.copyOfRange(klStart, k * vocab, (k + 1) * vocab);
                    }
                } else {
                    reference = m.create(klStart, klLogp.getShape());
                }
                NDArray kl = klLogp.exp().mul(klLogp.sub(reference)).sum(new int[] {1});
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

    /** Rows {@code flat} of {@code x} viewed as {@code [total, width]}, its last dimension (a gather: exact, differentiable). */
    private static NDArray rowsOf(NDManager m, NDArray x, int total, int[] flat) {
        int d = (int) x.getShape().tail();
        long[] index = new long[flat.length * d];
        for (int q = 0; q < flat.length; q++) {
            Arrays.fill(index, q * d, (q + 1) * d, flat[q]);
        }
        return x.reshape(total, d).gather(m.create(index, new Shape(flat.length, d)), 0);
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
