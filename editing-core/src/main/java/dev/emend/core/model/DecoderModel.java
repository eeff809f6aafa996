package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A decoder-only transformer family's forward pass, written as explicit NDArray operations
 * with hook points (not TorchScript), over a {@link Weights} view so that the same code runs
 * the base model and every edited overlay. Subclasses supply the family's pieces (embeddings,
 * norms, attention projections, MLP) and everything callers may ask about the family (tensor
 * and Hugging Face module names, the projection editors change, the final norm, the LM head);
 * this class holds what all families share: masks (causal, padding, sliding window), positions,
 * scaled dot-product attention with a KV cache and grouped-query expansion, and the only reads
 * of the weights ({@link #linear(Weights, LinearRef, int, Projection, NDArray, Hooks, HookContext)},
 * {@link #embedding}, {@link #vector}, {@link #lmHead}).
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
    public List<String> checkpointNames(String canonical) {
        return List.of(canonical);
    }

    /** Parameters that may be absent from a checkpoint because they are tied to another: a tied LM head. */
    public Map<String, String> tiedParameters() {
        return config.tieWordEmbeddings() ? Map.of("lm_head.weight", tokenEmbeddingName()) : Map.of();
    }

    /** Adds the weight (and bias) shape of every projection of {@code layer}, as stored for its layout. */
    protected void putLinearShapes(Map<String, Shape> shapes, int layer) {
        for (Projection p : projections()) {
            LinearRef r = linear(layer, p);
            shapes.put(r.weight(), r.layout() == WeightLayout.IN_OUT ? new Shape(r.inFeatures(), r.outFeatures())
                    : new Shape(r.outFeatures(), r.inFeatures()));
            if (r.bias() != null) {
                shapes.put(r.bias(), new Shape(r.outFeatures()));
            }
        }
    }

    /**
     * The usual Hugging Face initialisation: N(0, 0.02) for matrices, 1 for the norm weights
     * {@code isNormWeight} picks, 0 for biases; drawn in {@link #parameterShapes()} order.
     */
    protected Map<String, NDArray> initialiseNormal(NDManager m, long seed, java.util.function.Predicate<String> isNormWeight) {
        java.util.Random rnd = new java.util.Random(seed);
        Map<String, NDArray> p = new java.util.LinkedHashMap<>();
        parameterShapes().forEach((name, shape) -> p.put(name, isNormWeight.test(name) ? filled(m, shape, 1f)
                : name.endsWith(".bias") ? filled(m, shape, 0f) : normal(m, rnd, shape, 0.02)));
        return p;
    }

    /** Freshly initialised parameters (the family's usual scheme) from a seed. */
    public abstract Map<String, NDArray> initialise(NDManager manager, long seed);

    /** One linear map of a layer by role; throws when the family has no such projection. */
    public abstract LinearRef linear(int layer, Projection projection);

    /** The projections every layer of this family has, in forward order. */
    public abstract List<Projection> projections();

    /** The MLP down-projection of a layer: the matrix rank-one editors (ROME, MEMIT) change. */
    public LinearRef mlpDown(int layer) {
        return linear(layer, Projection.MLP_DOWN);
    }

    // ------------------------------------------------------------------ module names

    /** The Hugging Face module holding the layers: {@code transformer.h}, {@code model.layers}. */
    public abstract String layersModule();

    /**
     * The Hugging Face {@code ACT2FN} name of the MLP's activation ({@link Activations#apply}): what
     * the reference's WISE applies to a layer's outputs before comparing them.
     */
    public abstract String hiddenActivation();

    /** The Hugging Face module of one layer, e.g. {@code transformer.h.3}, {@code model.layers.3}. */
    public String layerModule(int layer) {
        return layersModule() + "." + layer;
    }

    /**
     * The Hugging Face module name of a projection, e.g. {@code transformer.h.3.mlp.c_proj} or
     * {@code model.layers.3.mlp.down_proj}: its weight's name without {@code .weight}.
     */
    public String moduleName(int layer, Projection projection) {
        String w = linear(layer, projection).weight();
        return w.substring(0, w.length() - ".weight".length());
    }

    /** A projection's module path inside its layer, e.g. {@code mlp.c_proj}, {@code self_attn.q_proj}. */
    public String relativeModuleName(Projection projection) {
        return moduleName(0, projection).substring(layerModule(0).length() + 1);
    }

    /**
     * Short names the family accepts beyond the unambiguous last path segment (PEFT/EasyEdit
     * {@code target_modules} style). GPT-2 maps the ambiguous {@code c_proj} to the MLP, as
     * EasyEdit's GPT-2 hyperparameters mean it.
     */
    protected Map<String, Projection> moduleAliases() {
        return Map.of();
    }

    /** Every short name a projection answers to: its relative path, its last segment when unique, aliases. */
    public Map<String, Projection> shortModuleNames() {
        Map<String, Projection> out = new java.util.LinkedHashMap<>();
        Map<String, Integer> lastCount = new java.util.HashMap<>();
        for (Projection p : projections()) {
            lastCount.merge(lastSegment(relativeModuleName(p)), 1, Integer::sum);
        }
        for (Projection p : projections()) {
            String rel = relativeModuleName(p);
            if (lastCount.get(lastSegment(rel)) == 1) {
                out.put(lastSegment(rel), p);
            }
        }
        out.putAll(moduleAliases());
        for (Projection p : projections()) {
            out.put(relativeModuleName(p), p);
        }
        return out;
    }

    /** The shortest name that {@link #resolveModule} maps back to {@code projection}. */
    public String shortModuleName(Projection projection) {
        String best = relativeModuleName(projection);
        for (Map.Entry<String, Projection> e : shortModuleNames().entrySet()) {
            if (e.getValue() == projection && e.getKey().length() < best.length()) {
                best = e.getKey();
            }
        }
        return best;
    }

    private static String lastSegment(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }

    /**
     * Resolves a module name to (layer, projection): a full Hugging Face name ({@code
     * model.layers.27.mlp.down_proj}), EasyEdit's form ({@code transformer.h[4].mlp.c_proj.weight}),
     * or a short name without a layer ({@code c_proj}, {@code mlp.down_proj}; layer -1).
     * Throws {@link IllegalArgumentException} listing the accepted names.
     */
    public ModuleRef resolveModule(String name) {
        String n = name.trim().replaceAll("\\[(\\d+)]", ".$1");
        if (n.endsWith(".weight") || n.endsWith(".bias")) {
            n = n.substring(0, n.lastIndexOf('.'));
        }
        Map<String, Projection> shorts = shortModuleNames();
        String layers = layersModule() + ".";
        if (n.startsWith(layers)) {
            String rest = n.substring(layers.length());
            int dot = rest.indexOf('.');
            if (dot > 0 && rest.substring(0, dot).chars().allMatch(Character::isDigit)) {
                int layer = Integer.parseInt(rest.substring(0, dot));
                Projection p = shorts.get(rest.substring(dot + 1));
                if (p != null && rest.substring(dot + 1).equals(relativeModuleName(p))) {
                    if (layer >= config.numLayers()) {
                        throw new IllegalArgumentException("module '" + name + "': layer " + layer
                                + " does not exist (the model has layers 0.." + (config.numLayers() - 1) + ")");
                    }
                    return new ModuleRef(layer, p);
                }
            }
        } else if (shorts.containsKey(n)) {
            return new ModuleRef(-1, shorts.get(n));
        }
        throw new IllegalArgumentException("'" + name + "' is not a linear module of this " + config.modelType()
                + " model; use " + layerModule(0) + ".<module> (or " + layersModule() + "[0].<module>.weight) or a short name: "
                + String.join(", ", shorts.keySet()));
    }

    /** The token-embedding matrix's tensor name ({@code transformer.wte.weight}, {@code model.embed_tokens.weight}). */
    public abstract String tokenEmbeddingName();

    /** The final norm's module ({@code transformer.ln_f}, {@code model.norm}). */
    public abstract String finalNormModule();

    /** The LM head's weight tensor: {@code lm_head.weight}, or the token embedding when tied. */
    public String lmHeadWeightName() {
        return config.tieWordEmbeddings() ? tokenEmbeddingName() : "lm_head.weight";
    }

    // ------------------------------------------------------------------ checkpoint tensors

    /**
     * Whether a checkpoint tensor the family does not consume is one Hugging Face also ignores
     * when loading (non-persistent buffers older versions saved: GPT-2's {@code attn.bias} /
     * {@code attn.masked_bias}, {@code rotary_emb.inv_freq}); those are a warning, any other
     * unused tensor an error.
     */
    public boolean ignoredByHuggingFace(String checkpointName) {
        return tiedParameters().containsKey(checkpointName);
    }

    /** Runs the model on {@code in}; with a cache, appends the new positions to it. */
    public final ForwardResult forward(NDManager manager, Weights w, ForwardInput in, Hooks hooks, KvCache cache) {
        return withResume(null, () -> forwardPass(manager, w, in, hooks, cache));
    }

    /**
     * Runs layers {@code layer}..n−1, the final norm and the LM head on {@code hidden}, the residual
     * stream entering block {@code layer} ({@code [batch, newTokens, d_model]}, {@code layer} = n:
     * the output of the last block), with the masks and positions {@code in} gives (its ids are not
     * read). Everything below {@code layer} — embeddings, their hook, the lower blocks and their
     * hooks — is skipped: editors that optimise a vector added at {@code layer} compute the lower
     * layers once and call this each step. With a cache, only layers ≥ {@code layer} are stored.
     */
    public final ForwardResult forwardFrom(NDManager manager, Weights w, ForwardInput in, int layer, NDArray hidden,
                                           Hooks hooks, KvCache cache) {
        if (layer < 0 || layer > config.numLayers()) {
            throw new IllegalArgumentException("forwardFrom: layer " + layer + " is outside 0.." + config.numLayers());
        }
        checkHidden(in, hidden);
        return withResume(new Resume(layer, hidden, config.numLayers()), () -> forwardPass(manager, w, in, hooks, cache));
    }

    /**
     * Runs blocks {@code from}..{@code to}−1 only, for what {@code hooks} read on the way (editors'
     * captures of keys and residuals), from {@code hidden} (the residual stream entering block
     * {@code from}) or, when it is null, from the embeddings ({@code from} must then be 0). The
     * blocks above {@code to} and the LM head are not run; nothing is returned.
     */
    public final void runBlocks(NDManager manager, Weights w, ForwardInput in, int from, NDArray hidden, int to, Hooks hooks) {
        checkBlocks("runBlocks", in, from, hidden, to);
        headless(() -> withResume(new Resume(from, hidden, to), () -> forwardPass(manager, w, in, hooks, null)));
    }

    /**
     * Runs blocks {@code from}..{@code to}−1 on {@code hidden} (the residual stream entering block
     * {@code from}) and returns the residual stream leaving each of them, in float32: element
     * {@code i} is the output of block {@code from + i}, before any final norm. With a cache, the
     * blocks' keys and values are appended to it as in {@link #forwardFrom}. The LM head is not run.
     * A hand-written gradient checkpoint (DeltaOptimiser's layer-wise backward) runs the blocks once
     * without autograd for these boundaries, then each block again, from its boundary, with it.
     */
    public final NDArray[] blockOutputs(NDManager manager, Weights w, ForwardInput in, int from, NDArray hidden, int to,
                                        Hooks hooks, KvCache cache) {
        checkBlocks("blockOutputs", in, from, hidden, to);
        NDArray[] out = new NDArray[to - from];
        LayerHook keep = new LayerHook() {
            @Override
            public NDArray blockOutput(int layer, NDArray x, HookContext ctx) {
                out[layer - from] = x;
                return x;
            }
        };
        headless(() -> withResume(new Resume(from, hidden, to), () -> forwardPass(manager, w, in, hooks.with(keep), cache)));
        for (int i = 0; i < out.length; i++) {
            out[i] = inType(out[i], DataType.FLOAT32);
        }
        return out;
    }

    private void checkBlocks(String what, ForwardInput in, int from, NDArray hidden, int to) {
        if (from < 0 || to > config.numLayers() || from >= to || (hidden == null && from != 0)) {
            throw new IllegalArgumentException(what + ": blocks " + from + ".." + (to - 1) + (hidden == null ? " from the embeddings" : "")
                    + " are not a range of this " + config.numLayers() + "-layer model");
        }
        if (hidden != null) {
            checkHidden(in, hidden);
        }
    }

    private void checkHidden(ForwardInput in, NDArray hidden) {
        Shape s = hidden.getShape();
        if (s.dimension() != 3 || s.get(0) != in.batchSize() || s.get(1) != in.length() || s.get(2) != config.hiddenSize()) {
            throw new IllegalArgumentException("hidden states " + s + " do not match the input ["
                    + in.batchSize() + ", " + in.length() + ", " + config.hiddenSize() + "]");
        }
    }

    /** Runs {@code pass} with {@code r} as this thread's resume point, restoring the previous one (a nested pass). */
    private static ForwardResult withResume(Resume r, java.util.function.Supplier<ForwardResult> pass) {
        Resume previous = RESUME.get();
        RESUME.set(r);
        try {
            return pass.get();
        } finally {
            RESUME.set(previous);
        }
    }

    /** {@link #forwardFrom} without the LM head, as {@link #forwardHidden} is to {@link #forward}. */
    public final Headless forwardHiddenFrom(NDManager manager, Weights w, ForwardInput in, int layer, NDArray hidden,
                                            Hooks hooks, KvCache cache) {
        return headless(() -> forwardFrom(manager, w, in, layer, hidden, hooks, cache));
    }

    /** Where {@link #forwardFrom} / {@link #runBlocks} start (hidden null: the embeddings) and end on this thread (null: a full pass). */
    private record Resume(int layer, NDArray hidden, int end) {}

    private static final ThreadLocal<Resume> RESUME = new ThreadLocal<>();

    /** The first block a family's {@code run} executes: 0, or the layer {@link #forwardFrom} resumes at. */
    protected final int firstLayer() {
        Resume r = RESUME.get();
        return r == null ? 0 : r.layer();
    }

    /** One past the last block a family's {@code run} executes: the layer count, or where {@link #runBlocks} stops. */
    protected final int endLayer() {
        Resume r = RESUME.get();
        return r == null ? config.numLayers() : r.end();
    }

    /**
     * The residual stream entering {@link #firstLayer()}: {@code embed} (the family's embeddings
     * with their hook) on a full pass, the given hidden states (in the compute dtype) when resuming.
     */
    protected final NDArray entering(java.util.function.Supplier<NDArray> embed) {
        Resume r = RESUME.get();
        return r == null || r.hidden() == null ? embed.get() : inType(r.hidden(), activeType());
    }

    private ForwardResult forwardPass(NDManager manager, Weights w, ForwardInput in, Hooks hooks, KvCache cache) {
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
        int window = slidingWindow();
        int[] keyPos = new int[total];
        for (int b = 0; b < batch; b++) {
            // keyPos[j]: the position of key j, i.e. the number of real tokens before it in its row.
            int real = 0;
            for (int j = 0; j < total; j++) {
                keyPos[j] = real;
                real += j < past ? pastMask[b][j] : in.mask()[b][j - past];
            }
            for (int t = 0; t < len; t++) {
                int q = past + t;
                positions[b * len + t] = in.mask()[b][t] == 1 ? keyPos[q] : 0;
                for (int j = 0; j < total; j++) {
                    int keyReal = j < past ? pastMask[b][j] : in.mask()[b][j - past];
                    boolean allowed = j <= q && keyReal == 1 && (window <= 0 || keyPos[q] - keyPos[j] < window);
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

    /**
     * Sliding-window attention span ({@code 0} = none): a query at position {@code q} sees a key at
     * {@code k} only if {@code q - k < window} (Mistral's {@code sliding_window}). Positions count
     * real tokens, so padding on either side and the KV cache give the same mask.
     */
    protected int slidingWindow() {
        return 0;
    }

    /** The family's layers; {@code mask} is additive {@code [B,1,T,S]}, {@code positions} {@code [B,T]}. */
    protected abstract ForwardResult run(Weights w, NDArray ids, NDArray positions, NDArray mask, Hooks hooks,
                                         KvCache cache, HookContext ctx);

    // ------------------------------------------------------------------ weight access
    // Families read parameters only through these helpers, so how weights are stored (and any
    // per-use conversion) is decided here, once.

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

    /** LayerNorm over the last axis with {@code module.weight} and {@code module.bias}. */
    protected NDArray layerNorm(Weights w, NDArray x, String module) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(x.getShape().tail()), vector(w, module + ".weight"),
                vector(w, module + ".bias"), config.normEps()).singletonOrThrow();
    }

    /** RMSNorm over the last axis ({@code x / sqrt(mean(x²) + eps) · weight}) with the tensor {@code weightName}. */
    protected NDArray rmsNorm(Weights w, NDArray x, String weightName) {
        // For half-precision activations the statistics are float32, as in Hugging Face.
        DataType type = x.getDataType();
        NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray rms = x32.square().mean(new int[] {-1}, true).add(config.normEps()).sqrt();
        NDArray normed = x32.div(rms);
        return (type == DataType.FLOAT32 ? normed : normed.toType(type, false)).mul(vector(w, weightName));
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
     * pieces when held in another dtype, see {@link #convertedProduct}). Inside
     * {@link #forwardHidden} it computes nothing and hands the head to the caller instead.
     */
    protected NDArray lmHead(Weights w, NDArray hidden, String headName, String embeddingName) {
        return lmHead(w, hidden, headName, null, embeddingName);
    }

    /** Logits with an optional head bias ({@code biasName} null for none; GPT-J has one). */
    protected NDArray lmHead(Weights w, NDArray hidden, String headName, String biasName, String embeddingName) {
        String name = w.has(headName) ? headName : embeddingName;
        NDArray bias = biasName == null ? null : vector(w, biasName);
        UnaryOperator<NDArray> head = h -> {
            NDArray weight = w.get(name);
            NDArray y = weight.getDataType() == h.getDataType()
                    ? ai.djl.nn.core.Linear.linear(h, weight, null).singletonOrThrow()
                    : convertedProduct(h, weight, false);
            return bias == null ? y : y.add(bias);
        };
        UnaryOperator<NDArray>[] deferred = DEFERRED_HEAD.get();
        if (deferred != null) {
            deferred[0] = head;
            deferred[1] = g -> {
                // dL/dh = dL/dlogits · W (W is [vocab, d_model]): the head's transpose, converted in
                // pieces of d_model columns like the head itself, so no whole float32 copy exists.
                NDArray weight = w.get(name);
                return weight.getDataType() == g.getDataType() ? g.matMul(weight) : convertedProduct(g, weight, true);
            };
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

    /**
     * Final hidden states {@code [batch, newTokens, d_model]}, the LM head to apply to any rows of
     * them, and the head's input gradient: given dL/dlogits {@code [rows, vocab]} of rows to which
     * {@code head} was applied, dL/d(those rows) {@code [rows, d_model]}, computed without autograd
     * (a hand-written backward through the head that keeps no float32 copy of its weight).
     */
    public record Headless(NDArray hidden, UnaryOperator<NDArray> head, UnaryOperator<NDArray> inputGradient) {}

    /**
     * {@link #forward} without the LM head: returns the final hidden states and the head as a
     * function, so a caller computes logits only where it needs them (scoring the target
     * positions, the last position in generation) instead of {@code [batch, tokens, vocab]}.
     */
    public final Headless forwardHidden(NDManager manager, Weights w, ForwardInput in, Hooks hooks, KvCache cache) {
        return headless(() -> forward(manager, w, in, hooks, cache));
    }

    private Headless headless(java.util.function.Supplier<ForwardResult> pass) {
        @SuppressWarnings("unchecked")
        UnaryOperator<NDArray>[] slot = new UnaryOperator[2];
        DEFERRED_HEAD.set(slot);
        ForwardResult r;
        try {
            r = pass.get();
        } finally {
            DEFERRED_HEAD.remove();
        }
        if (slot[0] == null) {
            throw new IllegalStateException(getClass().getSimpleName() + " computes its LM head without DecoderModel.lmHead");
        }
        return new Headless(r.hidden(), slot[0], slot[1]);
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
     * output features, each freed (or, without autograd, overwritten) as soon as its product
     * exists, and the products are joined. Each output feature is the same dot product as with the
     * whole matrix converted at once (the contraction is not split), though a BLAS may order its
     * sum differently for another shape.
     */
    private static NDArray convertedProduct(NDArray x, NDArray weight, boolean inOut) {
        long out = weight.getShape().get(inOut ? 1 : 0);
        long in = weight.getShape().get(inOut ? 0 : 1);
        long step = Math.max(1, CONVERT_PIECE_ELEMENTS / in);
        // Without autograd nothing keeps a converted piece after its product, so the pieces are
        // converted into one float32 buffer per thread instead of fresh memory each time: a fresh
        // 16 MB piece is new pages (page faults, system time) on every use, which made a 1B
        // model's forward step cost 5.6 s of CPU (BENCHMARKS.md, issue 15). Under a
        // GradientSession the product saves its piece for the backward pass, so each piece is its
        // own array there, except inside GradientSession.untracked (a value step's passes on
        // arrays that need no gradient, which autograd does not record).
        ConversionBuffer buffer = !dev.emend.core.grad.GradientSession.recordingOnCurrentThread() && step * in
                <= CONVERT_PIECE_ELEMENTS ? ConversionBuffer.of(x) : null;
        if (step >= out) {
            NDArray converted = buffer != null ? buffer.fill(weight) : asActivation(weight, x);
            NDArray y = inOut ? x.matMul(converted) : ai.djl.nn.core.Linear.linear(x, converted, null).singletonOrThrow();
            converted.close();
            return y;
        }
        ai.djl.ndarray.NDList parts = new ai.djl.ndarray.NDList();
        for (long from = 0; from < out; from += step) {
            String range = from + ":" + Math.min(out, from + step);
            try (NDArray slice = weight.get(new ai.djl.ndarray.index.NDIndex(inOut ? ":, " + range : range))) {
                NDArray piece = buffer != null ? buffer.fill(slice) : asActivation(slice, x);
                parts.add(inOut ? x.matMul(piece) : ai.djl.nn.core.Linear.linear(x, piece, null).singletonOrThrow());
                piece.close();
            }
        }
        NDArray y = ai.djl.ndarray.NDArrays.concat(parts, -1);
        parts.close();
        return y;
    }

    /**
     * A thread's buffer of {@link #CONVERT_PIECE_ELEMENTS} elements of the activations' dtype on
     * their device, kept for the thread's life (16 MB per thread that ever converts a weight), into
     * which {@link #convertedProduct} converts one piece at a time.
     */
    private static final class ConversionBuffer {
        private static final ThreadLocal<ConversionBuffer> BUFFERS = new ThreadLocal<>();
        private final NDManager manager;
        private final NDArray flat;

        private ConversionBuffer(NDArray like) {
            this.manager = NDManager.newBaseManager(like.getDevice());
            this.flat = manager.zeros(new Shape(CONVERT_PIECE_ELEMENTS), like.getDataType());
            // created inside some request's NDScope, which would close it when the request ends
            ai.djl.ndarray.NDScope.unregister(flat);
        }

        static ConversionBuffer of(NDArray x) {
            ConversionBuffer b = BUFFERS.get();
            if (b == null || !b.flat.getDevice().equals(x.getDevice()) || b.flat.getDataType() != x.getDataType()) {
                if (b != null) {
                    b.manager.close();
                }
                b = new ConversionBuffer(x);
                BUFFERS.set(b);
            }
            return b;
        }

        /** {@code part} converted into the buffer: a view of it (closing the view frees nothing). */
        NDArray fill(NDArray part) {
            long n = part.getShape().size();
            try (NDArray head = flat.get(new ai.djl.ndarray.index.NDIndex("0:" + n))) {
                NDArray view = head.reshape(part.getShape());
                view.set(new ai.djl.ndarray.index.NDIndex(":"), part);
                return view;
            }
        }
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
