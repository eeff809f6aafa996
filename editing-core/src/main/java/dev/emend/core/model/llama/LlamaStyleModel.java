package dev.emend.core.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.model.Activations;
import dev.emend.core.model.DecoderModel;
import dev.emend.core.model.ForwardResult;
import dev.emend.core.model.HookContext;
import dev.emend.core.model.Hooks;
import dev.emend.core.model.KvCache;
import dev.emend.core.model.LinearRef;
import dev.emend.core.model.ModelConfig;
import dev.emend.core.model.Projection;
import dev.emend.core.model.Rotary;
import dev.emend.core.model.WeightLayout;
import dev.emend.core.model.Weights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Llama-style forward pass shared by Llama, Mistral, Qwen2 and Qwen3 (their Hugging Face
 * modelling files differ only in the switches of {@link LlamaStyleOptions}): token embeddings,
 * pre-RMSNorm blocks with rotary ({@code rotate_half} convention) grouped-query attention and a
 * SwiGLU MLP ({@code down(silu(gate x) * up x)}), final RMSNorm, separate or tied head. Optional:
 * q/k/v biases, an output-projection bias, per-head q/k RMSNorm before RoPE (Qwen3), a sliding
 * attention window (Mistral). Linear maps are {@code nn.Linear} ({@code [d_out, d_in]}); the
 * head width is {@code config.headDim()}, which may differ from hidden / heads. The only class
 * that knows these families' tensor names.
 */
public final class LlamaStyleModel extends DecoderModel {
    private static final String LAYERS = "model.layers";
    private final LlamaStyleOptions options;
    private final Rotary rotary;

    public LlamaStyleModel(ModelConfig config) {
        super(config);
        this.options = config.options(LlamaStyleOptions.class);
        this.rotary = new Rotary(Rotary.scaledInverseFrequencies(config.headDim(), config.ropeTheta(), config.raw()),
                Rotary.Pairing.HALVES);
    }

    private static String layer(int l, String rest) {
        return LAYERS + "." + l + "." + rest;
    }

    @Override
    public Map<String, Shape> parameterShapes() {
        int d = config.hiddenSize();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(tokenEmbeddingName(), new Shape(config.vocabSize(), d));
        for (int l = 0; l < config.numLayers(); l++) {
            s.put(layer(l, "input_layernorm.weight"), new Shape(d));
            putLinearShapes(s, l);
            if (options.qkNorm()) {
                s.put(layer(l, "self_attn.q_norm.weight"), new Shape(config.headDim()));
                s.put(layer(l, "self_attn.k_norm.weight"), new Shape(config.headDim()));
            }
            s.put(layer(l, "post_attention_layernorm.weight"), new Shape(d));
        }
        s.put("model.norm.weight", new Shape(d));
        if (!config.tieWordEmbeddings()) {
            s.put("lm_head.weight", new Shape(config.vocabSize(), d));
        }
        return s;
    }

    /** The RoPE frequency buffer older Llama checkpoints saved; Hugging Face recomputes it. */
    @Override
    public boolean ignoredByHuggingFace(String name) {
        return name.endsWith(".rotary_emb.inv_freq") || super.ignoredByHuggingFace(name);
    }

    @Override
    protected int slidingWindow() {
        return options.slidingWindow();
    }

    @Override
    public Map<String, NDArray> initialise(NDManager m, long seed) {
        return initialiseNormal(m, seed, name -> name.endsWith("norm.weight"));
    }

    @Override
    public LinearRef linear(int l, Projection p) {
        int d = config.hiddenSize();
        int ff = config.intermediateSize();
        int q = config.numHeads() * config.headDim();
        int kv = config.numKvHeads() * config.headDim();
        return switch (p) {
            case ATTN_Q -> attention(l, "q_proj", options.qkvBias(), d, q);
            case ATTN_K -> attention(l, "k_proj", options.qkvBias(), d, kv);
            case ATTN_V -> attention(l, "v_proj", options.qkvBias(), d, kv);
            case ATTN_OUT -> attention(l, "o_proj", options.outBias(), q, d);
            case MLP_GATE -> new LinearRef(layer(l, "mlp.gate_proj.weight"), null, WeightLayout.OUT_IN, d, ff);
            case MLP_UP -> new LinearRef(layer(l, "mlp.up_proj.weight"), null, WeightLayout.OUT_IN, d, ff);
            case MLP_DOWN -> new LinearRef(layer(l, "mlp.down_proj.weight"), null, WeightLayout.OUT_IN, ff, d);
            case ATTN_QKV -> throw new IllegalArgumentException(config.modelType()
                    + " has separate ATTN_Q, ATTN_K and ATTN_V projections, not a fused ATTN_QKV");
        };
    }

    private static LinearRef attention(int l, String name, boolean bias, int in, int out) {
        String base = layer(l, "self_attn." + name);
        return new LinearRef(base + ".weight", bias ? base + ".bias" : null, WeightLayout.OUT_IN, in, out);
    }

    @Override
    public List<Projection> projections() {
        return List.of(Projection.ATTN_Q, Projection.ATTN_K, Projection.ATTN_V, Projection.ATTN_OUT,
                Projection.MLP_GATE, Projection.MLP_UP, Projection.MLP_DOWN);
    }

    @Override
    public String hiddenActivation() {
        return "silu";
    }

    @Override
    public String layersModule() {
        return LAYERS;
    }

    @Override
    public String tokenEmbeddingName() {
        return "model.embed_tokens.weight";
    }

    @Override
    public String finalNormModule() {
        return "model.norm";
    }

    @Override
    protected ForwardResult run(Weights w, NDArray ids, NDArray positions, NDArray mask, Hooks hooks,
                                KvCache cache, HookContext ctx) {
        NDArray x = entering(() -> {
            NDArray e = embedding(w, tokenEmbeddingName(), ids);
            return hooks.isEmpty() ? e : hooks.embeddings(e, ctx);
        });
        NDArray[] cosSin = rotary.tables(positions);
        long b = ctx.batchSize();
        long t = ctx.newTokens();
        int dh = config.headDim();
        for (int l = firstLayer(); l < endLayer(); l++) {
            NDArray a = rmsNorm(w, x, layer(l, "input_layernorm.weight"));
            NDArray q = linear(w, linear(l, Projection.ATTN_Q), l, Projection.ATTN_Q, a, hooks, ctx).reshape(b, t, config.numHeads(), dh);
            NDArray k = linear(w, linear(l, Projection.ATTN_K), l, Projection.ATTN_K, a, hooks, ctx).reshape(b, t, config.numKvHeads(), dh);
            NDArray v = linear(w, linear(l, Projection.ATTN_V), l, Projection.ATTN_V, a, hooks, ctx).reshape(b, t, config.numKvHeads(), dh);
            if (options.qkNorm()) {
                q = rmsNorm(w, q, layer(l, "self_attn.q_norm.weight"));
                k = rmsNorm(w, k, layer(l, "self_attn.k_norm.weight"));
            }
            NDArray att = attend(l, rotary.apply(q, cosSin), rotary.apply(k, cosSin), v, mask, cache);
            x = attentionResidual(w, l, x, att, hooks, ctx);
            NDArray m = rmsNorm(w, x, layer(l, "post_attention_layernorm.weight"));
            NDArray gate = linear(w, linear(l, Projection.MLP_GATE), l, Projection.MLP_GATE, m, hooks, ctx);
            NDArray up = linear(w, linear(l, Projection.MLP_UP), l, Projection.MLP_UP, m, hooks, ctx);
            NDArray keys = Activations.apply("silu", gate).mul(up);
            x = finishBlock(w, l, x, keys, hooks, ctx);
        }
        NDArray hidden = rmsNorm(w, x, "model.norm.weight");
        return new ForwardResult(lmHead(w, hidden, "lm_head.weight", tokenEmbeddingName()), hidden);
    }
}
