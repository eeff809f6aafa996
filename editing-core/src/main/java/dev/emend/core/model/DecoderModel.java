package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

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
        DataType type = computeTypeFor(hooks);
        if (type == DataType.FLOAT16) {
            // -1e9 overflows fp16 to -inf, and a fully masked (padding) row would then give NaN
            // that a later matmul spreads; the dtype's lowest finite value masks just as well.
            for (int i = 0; i < additive.length; i++) {
                additive[i] = Math.max(additive[i], -65504f);
            }
        }
        NDArray mask = inType(manager.create(additive, new Shape(batch, 1, len, total)), type);
        HookContext ctx = new HookContext(batch, len, past);
        Active previous = ACTIVE.get();
        ACTIVE.set(new Active(type, manager));
        ForwardResult r;
        try {
            r = run(w, ids, pos, mask, hooks, cache, ctx);
        } finally {
            ACTIVE.set(previous);
        }
        if (cache != null) {
            cache.advance(in.mask());
        }
        // Callers read logits and hidden states as float32 whatever the compute dtype.
        return new ForwardResult(inType(r.logits(), DataType.FLOAT32), inType(r.hidden(), DataType.FLOAT32));
    }

    /** The family's layers; {@code mask} is additive {@code [B,1,T,S]}, {@code positions} {@code [B,T]}. */
    protected abstract ForwardResult run(Weights w, NDArray ids, NDArray positions, NDArray mask, Hooks hooks,
                                         KvCache cache, HookContext ctx);

    /** {@code x W} or {@code x Wᵀ} by layout, plus bias, then the projection hooks. */
    protected NDArray linear(Weights w, LinearRef ref, int layer, Projection p, NDArray x, Hooks hooks, HookContext ctx) {
        NDArray weight = w.get(ref.weight());
        NDArray bias = ref.bias() == null ? null : asActivation(w.get(ref.bias()), x);
        NDArray y;
        if (weight.getDataType() == x.getDataType()) {
            if (ref.layout() == WeightLayout.IN_OUT) {
                y = x.matMul(weight);
                if (bias != null) {
                    y = y.add(bias);
                }
            } else {
                // PyTorch's own linear: no transposed temporary owned by the weights' manager.
                y = ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
            }
        } else {
            y = convertedProduct(x, weight, ref.layout() == WeightLayout.IN_OUT);
            if (bias != null) {
                y = y.add(bias);
            }
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
        // Softmax in float32 whatever the compute dtype, as Hugging Face's eager attention does.
        NDArray probs = scores.getDataType() == DataType.FLOAT32 ? scores.softmax(-1)
                : scores.toType(DataType.FLOAT32, false).softmax(-1).toType(scores.getDataType(), false);
        NDArray out = probs.matMul(vh).transpose(0, 2, 1, 3);
        Shape qs = q.getShape();
        return out.reshape(qs.get(0), qs.get(1), (long) heads * d);
    }

    /**
     * Logits from final hidden states: the tied input embedding or a separate head (converted in
     * pieces when held in another dtype, see {@link #convertedProduct}).
     */
    protected NDArray lmHead(Weights w, NDArray hidden, String headName, String embeddingName) {
        String name = w.has(headName) ? headName : embeddingName;
        NDArray head = w.get(name);
        if (head.getDataType() == hidden.getDataType()) {
            return ai.djl.nn.core.Linear.linear(hidden, head, null).singletonOrThrow();
        }
        return convertedProduct(hidden, head, false);
    }

    // ----------------------------------------------------------------------------------------------
    // Weight access and compute dtype (issue 15). Weights stay in the checkpoint's dtype; each
    // forward pass computes in one dtype, and every weight read of the forward pass goes through
    // linear, lmHead, embedding or vector, which convert a weight stored in another dtype per use
    // (bf16 -> fp32 is exact, so fp32 compute over bf16 weights gives the same numbers as widening
    // at load time). The compute dtype is the model's setting (EMEND_DTYPE), except that a pass
    // with hooks (editing captures, tracing, adapters) or under a GradientSession (every editor's
    // optimisation) always computes in float32: editing math is float32 on every device.

    /**
     * Elements of a weight converted at once: 4M, 16 MB as float32. Under glibc's 32 MB ceiling for
     * its adaptive mmap threshold, so the freed piece is reused by the next instead of every
     * conversion mapping fresh pages (measured: 64 MB conversions spent more time in page faults
     * than in the matmuls).
     */
    private static final long CONVERT_PIECE_ELEMENTS = 1L << 22;

    private record Active(DataType type, NDManager manager) {}

    private static final ThreadLocal<Active> ACTIVE = new ThreadLocal<>();

    private volatile DataType computeType = DataType.FLOAT32;

    /** The dtype hook-free, gradient-free forward passes compute in (float32 unless set). */
    public DataType computeType() {
        return computeType;
    }

    /** Sets the compute dtype: FLOAT32 or FLOAT16 (DJL 0.36's PyTorch engine has no bfloat16). */
    public void setComputeType(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
            throw new IllegalArgumentException("compute dtype must be float32 or float16, got " + type);
        }
        this.computeType = type;
    }

    /** The dtype a forward pass with these hooks computes in, on the calling thread. */
    public DataType computeTypeFor(Hooks hooks) {
        boolean editing = !hooks.isEmpty() || dev.emend.core.grad.GradientSession.heldByCurrentThread();
        return editing ? DataType.FLOAT32 : computeType;
    }

    /** Rows {@code ids} of the table {@code name} (token or position embeddings), in the compute dtype. */
    protected NDArray embedding(Weights w, String name, NDArray ids) {
        NDArray rows = ai.djl.nn.core.Embedding.embedding(ids, w.get(name), ai.djl.ndarray.types.SparseFormat.DENSE)
                .singletonOrThrow();
        return inType(rows, activeType());
    }

    /** A one-dimensional parameter (norm scale, bias) in the compute dtype, owned by the request. */
    protected NDArray vector(Weights w, String name) {
        NDArray stored = w.get(name);
        DataType type = activeType();
        if (stored.getDataType() == type) {
            return stored;
        }
        NDArray converted = stored.toType(type, false);
        Active a = ACTIVE.get();
        if (a != null) {
            converted.attach(a.manager());
        }
        return converted;
    }

    /** The compute dtype of the forward pass running on this thread. */
    protected DataType activeType() {
        Active a = ACTIVE.get();
        return a == null ? computeType : a.type();
    }

    /**
     * {@code x Wᵀ} ({@code inOut} false, W {@code [out, in]}) or {@code x W} ({@code inOut} true, W
     * {@code [in, out]}) for a weight held in another dtype than x: W is converted in pieces of
     * output features, each freed as soon as its product exists, and the products are joined. Each
     * output feature is the same dot product as with the whole matrix converted at once (the
     * contraction is not split), though a BLAS may order its sum differently for another shape.
     */
    private static NDArray convertedProduct(NDArray x, NDArray weight, boolean inOut) {
        long out = weight.getShape().get(inOut ? 1 : 0);
        long in = weight.getShape().get(inOut ? 0 : 1);
        long step = Math.max(1, CONVERT_PIECE_ELEMENTS / in);
        if (step >= out) {
            NDArray converted = asActivation(weight, x);
            NDArray y = inOut ? x.matMul(converted) : ai.djl.nn.core.Linear.linear(x, converted, null).singletonOrThrow();
            converted.close();
            return y;
        }
        ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
        for (long from = 0; from < out; from += step) {
            String range = from + ":" + Math.min(out, from + step);
            try (NDArray slice = weight.get(new ai.djl.ndarray.index.NDIndex(inOut ? ":, " + range : range))) {
                NDArray piece = asActivation(slice, x);
                parts.add(inOut ? x.matMul(piece) : ai.djl.nn.core.Linear.linear(x, piece, null).singletonOrThrow());
                piece.close();
            }
        }
        NDArray y = ai.djl.ndarray.NDArrays.concat(parts, -1);
        parts.close();
        return y;
    }

    /** {@code weight} in the dtype of {@code x}, a temporary owned by x's manager when converted. */
    private static NDArray asActivation(NDArray weight, NDArray x) {
        if (weight.getDataType() == x.getDataType()) {
            return weight;
        }
        NDArray converted = weight.toType(x.getDataType(), false);
        converted.attach(x.getManager());
        return converted;
    }

    /** {@code a} converted to {@code type} (a new array on a's manager), or a itself. */
    private static NDArray inType(NDArray a, DataType type) {
        return a == null || a.getDataType() == type ? a : a.toType(type, false);
    }

    // ---------------------------------------------------------------------------- end of issue 15

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
