package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A decoder-only transformer family's forward pass, written as explicit NDArray operations
 * with hook points (not TorchScript), over a {@link Weights} view so that the same code runs
 * the base model and every edited overlay. Subclasses supply the family's pieces (embeddings,
 * norms, attention projections, MLP); this class holds what all families share: masks,
 * positions, scaled dot-product attention with a KV cache and grouped-query expansion.
 *
 * <p>Every array an implementation creates derives from the request's arrays (activations come
 * first in each op), so results belong to the caller's manager and never to the weights'.
 */
public abstract class DecoderModel {
    protected final ModelConfig config;

    protected DecoderModel(ModelConfig config) {
        this.config = config;
    }

    public ModelConfig config() {
        return config;
    }

    /** Every parameter the forward pass reads, by canonical (Hugging Face) name, with its shape. */
    public abstract Map<String, Shape> parameterShapes();

    /**
     * Other names the same tensor may carry in a checkpoint file (e.g. GPT-2 saved as
     * {@code GPT2Model} lacks the {@code transformer.} prefix). Canonical name first.
     */
    public abstract java.util.List<String> checkpointNames(String canonical);

    /** Parameters that may be absent from a checkpoint because they are tied to another. */
    public abstract Map<String, String> tiedParameters();

    /** Freshly initialised parameters (the family's usual scheme) from a seed. */
    public abstract Map<String, NDArray> initialise(NDManager manager, long seed);

    /** One linear map of a layer by role; throws when the family has no such projection. */
    public abstract LinearRef linear(int layer, Projection projection);

    /** The MLP down-projection of a layer: the matrix rank-one editors (ROME, MEMIT) change. */
    public LinearRef mlpDown(int layer) {
        return linear(layer, Projection.MLP_DOWN);
    }

    /** Runs the model on {@code in}; with a cache, appends the new positions to it. */
    public final ForwardResult forward(NDManager manager, Weights w, ForwardInput in, Hooks hooks, KvCache cache) {
        int past = cache == null ? 0 : cache.length();
        int batch = in.batchSize();
        int len = in.length();
        if (past + len > config.maxPositions()) {
            throw new ContextLengthException(past + len, config.maxPositions());
        }
        if (cache != null && past > 0 && cache.mask().length != batch) {
            throw new IllegalArgumentException("KV cache holds batch " + cache.mask().length + " but input has " + batch);
        }
        int[][] pastMask = cache == null || past == 0 ? new int[batch][0] : cache.mask();
        long[] positions = new long[batch * len];
        float[] additive = new float[Math.multiplyExact(Math.multiplyExact(batch, len), past + len)];
        int total = past + len;
        for (int b = 0; b < batch; b++) {
            int real = 0;
            for (int j = 0; j < past; j++) {
                real += pastMask[b][j];
            }
            for (int t = 0; t < len; t++) {
                positions[b * len + t] = in.mask()[b][t] == 1 ? real : 0;
                real += in.mask()[b][t];
                for (int j = 0; j < total; j++) {
                    int keyReal = j < past ? pastMask[b][j] : in.mask()[b][j - past];
                    boolean allowed = j <= past + t && keyReal == 1;
                    additive[(b * len + t) * total + j] = allowed ? 0f : -1e9f;
                }
            }
        }
        long[] flatIds = new long[batch * len];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(in.ids()[b], 0, flatIds, b * len, len);
        }
        NDArray ids = manager.create(flatIds, new Shape(batch, len));
        NDArray pos = manager.create(positions, new Shape(batch, len));
        NDArray mask = manager.create(additive, new Shape(batch, 1, len, total));
        HookContext ctx = new HookContext(batch, len, past);
        ForwardResult r = run(w, ids, pos, mask, hooks, cache, ctx);
        if (cache != null) {
            cache.advance(in.mask());
        }
        return r;
    }

    /** The family's layers; {@code mask} is additive {@code [B,1,T,S]}, {@code positions} {@code [B,T]}. */
    protected abstract ForwardResult run(Weights w, NDArray ids, NDArray positions, NDArray mask, Hooks hooks,
                                         KvCache cache, HookContext ctx);

    /** {@code x W} or {@code x Wᵀ} by layout, plus bias, then the projection hooks. */
    protected NDArray linear(Weights w, LinearRef ref, int layer, Projection p, NDArray x, Hooks hooks, HookContext ctx) {
        NDArray weight = w.get(ref.weight());
        NDArray y;
        if (ref.layout() == WeightLayout.IN_OUT) {
            y = x.matMul(weight);
            if (ref.bias() != null) {
                y = y.add(w.get(ref.bias()));
            }
        } else {
            // PyTorch's own linear: no transposed temporary owned by the weights' manager.
            y = ai.djl.nn.core.Linear.linear(x, weight, ref.bias() == null ? null : w.get(ref.bias())).singletonOrThrow();
        }
        return hooks.isEmpty() ? y : hooks.projection(layer, p, x, y, ctx);
    }

    /**
     * The part of a block every family shares after the MLP's activation: the keys hook, the
     * down-projection, the MLP-output hook, the residual add and the block-output hook.
     */
    protected NDArray finishBlock(Weights w, int layer, NDArray residual, NDArray keys, Hooks hooks, HookContext ctx) {
        if (!hooks.isEmpty()) {
            keys = hooks.mlpKeys(layer, keys, ctx);
        }
        NDArray mlpOut = linear(w, linear(layer, Projection.MLP_DOWN), layer, Projection.MLP_DOWN, keys, hooks, ctx);
        if (!hooks.isEmpty()) {
            mlpOut = hooks.mlpOutput(layer, keys, mlpOut, ctx);
        }
        NDArray x = residual.add(mlpOut);
        return hooks.isEmpty() ? x : hooks.blockOutput(layer, x, ctx);
    }

    /** Output projection of attention, its hook, and the residual add. */
    protected NDArray attentionResidual(Weights w, int layer, NDArray residual, NDArray attention, Hooks hooks, HookContext ctx) {
        NDArray out = linear(w, linear(layer, Projection.ATTN_OUT), layer, Projection.ATTN_OUT, attention, hooks, ctx);
        if (!hooks.isEmpty()) {
            out = hooks.attentionOutput(layer, out, ctx);
        }
        return residual.add(out);
    }

    /**
     * Scaled dot-product attention. {@code q} is {@code [B,T,H,D]}, {@code k}/{@code v} are
     * {@code [B,T,Hkv,D]}; returns {@code [B,T,H*D]}. Appends k/v to the cache when given.
     */
    protected NDArray attend(int layer, NDArray q, NDArray k, NDArray v, NDArray mask, KvCache cache) {
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        NDArray qh = q.transpose(0, 2, 1, 3);
        NDArray kh = k.transpose(0, 2, 1, 3);
        NDArray vh = v.transpose(0, 2, 1, 3);
        if (cache != null) {
            if (cache.keys(layer) != null) {
                kh = cache.keys(layer).concat(kh, 2);
                vh = cache.values(layer).concat(vh, 2);
            }
            cache.put(layer, kh, vh);
        }
        if (kvHeads != heads) {
            int rep = heads / kvHeads;
            Shape s = kh.getShape();
            Shape expanded = new Shape(s.get(0), kvHeads, rep, s.get(2), d);
            kh = kh.expandDims(2).broadcast(expanded).reshape(s.get(0), heads, s.get(2), d);
            vh = vh.expandDims(2).broadcast(expanded).reshape(s.get(0), heads, s.get(2), d);
        }
        NDArray scores = Scalars.mul(qh.matMul(kh.transpose(0, 1, 3, 2)), 1.0 / Math.sqrt(d)).add(mask);
        NDArray probs = scores.softmax(-1);
        NDArray out = probs.matMul(vh).transpose(0, 2, 1, 3);
        Shape qs = q.getShape();
        return out.reshape(qs.get(0), qs.get(1), (long) heads * d);
    }

    /**
     * Logits from final hidden states: the tied input embedding or a separate head. Inside
     * {@link #forwardHidden} it computes nothing and hands the head to the caller instead.
     */
    protected NDArray lmHead(Weights w, NDArray hidden, String headName, String embeddingName) {
        String name = w.has(headName) ? headName : embeddingName;
        UnaryOperator<NDArray> head = h -> ai.djl.nn.core.Linear.linear(h, w.get(name), null).singletonOrThrow();
        UnaryOperator<NDArray>[] deferred = DEFERRED_HEAD.get();
        if (deferred != null) {
            deferred[0] = head;
            return null;
        }
        return head.apply(hidden);
    }

    /**
     * The slot {@link #lmHead} fills instead of computing logits while {@link #forwardHidden} runs
     * on this thread. A thread-local rather than a parameter so that every family's {@code run}
     * keeps its one {@code lmHead} call and stays unaware of it.
     */
    private static final ThreadLocal<UnaryOperator<NDArray>[]> DEFERRED_HEAD = new ThreadLocal<>();

    /** Final hidden states {@code [batch, newTokens, d_model]} and the LM head to apply to any rows of them. */
    public record Headless(NDArray hidden, UnaryOperator<NDArray> head) {}

    /**
     * {@link #forward} without the LM head: returns the final hidden states and the head as a
     * function, so a caller computes logits only where it needs them (scoring the target
     * positions, the last position in generation) instead of {@code [batch, tokens, vocab]}.
     */
    public final Headless forwardHidden(NDManager manager, Weights w, ForwardInput in, Hooks hooks, KvCache cache) {
        @SuppressWarnings("unchecked")
        UnaryOperator<NDArray>[] slot = new UnaryOperator[1];
        DEFERRED_HEAD.set(slot);
        ForwardResult r;
        try {
            r = forward(manager, w, in, hooks, cache);
        } finally {
            DEFERRED_HEAD.remove();
        }
        if (slot[0] == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " computes its LM head without DecoderModel.lmHead");
        }
        return new Headless(r.hidden(), slot[0]);
    }

    /** Normal(0, std) initialisation drawn from a seeded generator (reproducible across runs). */
    protected static NDArray normal(NDManager m, java.util.Random rnd, Shape shape, double std) {
        int n = Math.toIntExact(shape.size());
        float[] data = new float[n];
        for (int i = 0; i < n; i++) {
            data[i] = (float) (rnd.nextGaussian() * std);
        }
        return m.create(data, shape);
    }

    protected static NDArray filled(NDManager m, Shape shape, float value) {
        return m.full(shape, value, DataType.FLOAT32);
    }
}
