package dev.emend.core.model.gpt2;

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
import dev.emend.core.model.WeightLayout;
import dev.emend.core.model.Weights;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * GPT-2's forward pass: token + learned position embeddings, pre-LayerNorm blocks with fused
 * QKV attention and a tanh-GELU MLP, final LayerNorm, head tied to the token embedding. All
 * linear maps are Conv1D ({@code [d_in, d_out]}). This is the only class that knows GPT-2's
 * tensor names.
 */
public final class Gpt2Model extends DecoderModel {
    private static final String PREFIX = "transformer.";
    private final String activation;

    public Gpt2Model(ModelConfig config) {
        super(config);
        this.activation = config.raw() == null ? "gelu_new"
                : ModelConfig.stringField(config.raw(), "gelu_new", "activation_function");
    }

    private static String h(int layer, String rest) {
        return PREFIX + "h." + layer + "." + rest;
    }

    @Override
    public Map<String, Shape> parameterShapes() {
        int d = config.hiddenSize();
        int ff = config.intermediateSize();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(PREFIX + "wte.weight", new Shape(config.vocabSize(), d));
        s.put(PREFIX + "wpe.weight", new Shape(config.maxPositions(), d));
        for (int l = 0; l < config.numLayers(); l++) {
            s.put(h(l, "ln_1.weight"), new Shape(d));
            s.put(h(l, "ln_1.bias"), new Shape(d));
            s.put(h(l, "attn.c_attn.weight"), new Shape(d, 3L * d));
            s.put(h(l, "attn.c_attn.bias"), new Shape(3L * d));
            s.put(h(l, "attn.c_proj.weight"), new Shape(d, d));
            s.put(h(l, "attn.c_proj.bias"), new Shape(d));
            s.put(h(l, "ln_2.weight"), new Shape(d));
            s.put(h(l, "ln_2.bias"), new Shape(d));
            s.put(h(l, "mlp.c_fc.weight"), new Shape(d, ff));
            s.put(h(l, "mlp.c_fc.bias"), new Shape(ff));
            s.put(h(l, "mlp.c_proj.weight"), new Shape(ff, d));
            s.put(h(l, "mlp.c_proj.bias"), new Shape(d));
        }
        s.put(PREFIX + "ln_f.weight", new Shape(d));
        s.put(PREFIX + "ln_f.bias", new Shape(d));
        if (!config.tieWordEmbeddings()) {
            s.put("lm_head.weight", new Shape(config.vocabSize(), d));
        }
        return s;
    }

    @Override
    public List<String> checkpointNames(String canonical) {
        if (canonical.startsWith(PREFIX)) {
            return List.of(canonical, canonical.substring(PREFIX.length()));
        }
        return List.of(canonical);
    }

    /** The causal-mask buffers older GPT-2 checkpoints saved; Hugging Face skips them on load. */
    @Override
    public boolean ignoredByHuggingFace(String name) {
        return isAttentionMaskBuffer(name) || super.ignoredByHuggingFace(name);
    }

    /** GPT-2's and GPT-J's non-persistent causal-mask buffers ({@code attn.bias}, {@code attn.masked_bias}). */
    public static boolean isAttentionMaskBuffer(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias");
    }

    @Override
    public Map<String, NDArray> initialise(NDManager m, long seed) {
        // GPT-2's scheme: N(0, 0.02) everywhere, residual projections scaled by 1/sqrt(2 n_layer).
        Random rnd = new Random(seed);
        double resid = 0.02 / Math.sqrt(2.0 * config.numLayers());
        Map<String, NDArray> p = new LinkedHashMap<>();
        parameterShapes().forEach((name, shape) -> {
            NDArray a;
            if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name.endsWith("ln_f.weight")) {
                a = filled(m, shape, 1f);
            } else if (name.endsWith(".bias")) {
                a = filled(m, shape, 0f);
            } else if (name.endsWith("c_proj.weight")) {
                a = normal(m, rnd, shape, resid);
            } else {
                a = normal(m, rnd, shape, 0.02);
            }
            p.put(name, a);
        });
        return p;
    }

    @Override
    public LinearRef linear(int layer, Projection p) {
        int d = config.hiddenSize();
        int ff = config.intermediateSize();
        return switch (p) {
            case ATTN_QKV -> new LinearRef(h(layer, "attn.c_attn.weight"), h(layer, "attn.c_attn.bias"), WeightLayout.IN_OUT, d, 3 * d);
            case ATTN_OUT -> new LinearRef(h(layer, "attn.c_proj.weight"), h(layer, "attn.c_proj.bias"), WeightLayout.IN_OUT, d, d);
            case MLP_UP -> new LinearRef(h(layer, "mlp.c_fc.weight"), h(layer, "mlp.c_fc.bias"), WeightLayout.IN_OUT, d, ff);
            case MLP_DOWN -> new LinearRef(h(layer, "mlp.c_proj.weight"), h(layer, "mlp.c_proj.bias"), WeightLayout.IN_OUT, ff, d);
            default -> throw new IllegalArgumentException("GPT-2 has no separate " + p
                    + " projection (query, key and value are fused in ATTN_QKV; there is no gate)");
        };
    }

    @Override
    public List<Projection> projections() {
        return List.of(Projection.ATTN_QKV, Projection.ATTN_OUT, Projection.MLP_UP, Projection.MLP_DOWN);
    }

    @Override
    public String hiddenActivation() {
        return activation;
    }

    @Override
    public String layersModule() {
        return PREFIX + "h";
    }

    /** EasyEdit's GPT-2 hyperparameters say {@code c_proj} for the MLP's (not attention's) output. */
    @Override
    protected Map<String, Projection> moduleAliases() {
        return Map.of("c_proj", Projection.MLP_DOWN);
    }

    @Override
    public String tokenEmbeddingName() {
        return PREFIX + "wte.weight";
    }

    @Override
    public String finalNormModule() {
        return PREFIX + "ln_f";
    }

    @Override
    protected ForwardResult run(Weights w, NDArray ids, NDArray positions, NDArray mask, Hooks hooks,
                                KvCache cache, HookContext ctx) {
        NDArray x = entering(() -> {
            NDArray e = embedding(w, PREFIX + "wte.weight", ids).add(embedding(w, PREFIX + "wpe.weight", positions));
            return hooks.isEmpty() ? e : hooks.embeddings(e, ctx);
        });
        int heads = config.numHeads();
        long b = ctx.batchSize();
        long t = ctx.newTokens();
        for (int l = firstLayer(); l < endLayer(); l++) {
            NDArray a = layerNorm(w, x, h(l, "ln_1"));
            NDArray qkv = linear(w, linear(l, Projection.ATTN_QKV), l, Projection.ATTN_QKV, a, hooks, ctx);
            var parts = qkv.split(3, 2);
            Shape hs = new Shape(b, t, heads, config.headDim());
            NDArray att = attend(l, parts.get(0).reshape(hs), parts.get(1).reshape(hs), parts.get(2).reshape(hs), mask, cache);
            x = attentionResidual(w, l, x, att, hooks, ctx);
            NDArray m = layerNorm(w, x, h(l, "ln_2"));
            NDArray keys = Activations.apply(activation, linear(w, linear(l, Projection.MLP_UP), l, Projection.MLP_UP, m, hooks, ctx));
            x = finishBlock(w, l, x, keys, hooks, ctx);
        }
        NDArray hidden = layerNorm(w, x, finalNormModule());
        return new ForwardResult(lmHead(w, hidden, "lm_head.weight", tokenEmbeddingName()), hidden);
    }
}
