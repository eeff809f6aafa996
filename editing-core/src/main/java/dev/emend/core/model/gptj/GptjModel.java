package dev.emend.core.model.gptj;

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
import dev.emend.core.model.gpt2.Gpt2Model;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-J's forward pass (Hugging Face {@code modeling_gptj.py}): token embeddings only (no learned
 * positions), then per block {@code x + attn(ln_1(x)) + mlp(ln_1(x))} — attention and MLP read the
 * same normalised input in parallel. Attention has separate bias-free q/k/v/out projections and
 * rotary embedding on the first {@code rotary_dim} features of each head, pairs interleaved
 * ({@code rotate_every_two}); the MLP is {@code fc_out(gelu(fc_in(h)))} with biases; final
 * LayerNorm; LM head with a bias. The only class that knows GPT-J's tensor names.
 *
 * <p>Hooks: the attention-output hook sees {@code out_proj}'s output, the MLP hooks the MLP's, and
 * the block-output hook the sum; the residual is added as {@code (x + attn) + mlp}, a different
 * float summation order from HF's {@code attn + mlp + x} (last-bit differences only).
 */
public final class GptjModel extends DecoderModel {
    private static final String PREFIX = "transformer.";
    private final Rotary rotary;
    private final String activation;

    public GptjModel(ModelConfig config) {
        super(config);
        GptjOptions opt = config.options(GptjOptions.class);
        this.rotary = new Rotary(Rotary.inverseFrequencies(opt.rotaryDim(), 10000.0), Rotary.Pairing.INTERLEAVED);
        this.activation = opt.activation();
    }

    private static String h(int layer, String rest) {
        return PREFIX + "h." + layer + "." + rest;
    }

    @Override
    public Map<String, Shape> parameterShapes() {
        int d = config.hiddenSize();
        int ff = config.intermediateSize();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(tokenEmbeddingName(), new Shape(config.vocabSize(), d));
        for (int l = 0; l < config.numLayers(); l++) {
            s.put(h(l, "ln_1.weight"), new Shape(d));
            s.put(h(l, "ln_1.bias"), new Shape(d));
            putLinearShapes(s, l);
        }
        s.put(PREFIX + "ln_f.weight", new Shape(d));
        s.put(PREFIX + "ln_f.bias", new Shape(d));
        if (!config.tieWordEmbeddings()) {
            s.put("lm_head.weight", new Shape(config.vocabSize(), d));
        }
        s.put("lm_head.bias", new Shape(config.vocabSize()));
        return s;
    }

    /** The causal-mask buffers GPT-J checkpoints such as EleutherAI/gpt-j-6B carry; Hugging Face skips them. */
    @Override
    public boolean ignoredByHuggingFace(String name) {
        return Gpt2Model.isAttentionMaskBuffer(name) || super.ignoredByHuggingFace(name);
    }

    @Override
    public Map<String, NDArray> initialise(NDManager m, long seed) {
        return initialiseNormal(m, seed, name -> name.endsWith("ln_1.weight") || name.endsWith("ln_f.weight"));
    }

    @Override
    public LinearRef linear(int l, Projection p) {
        int d = config.hiddenSize();
        int ff = config.intermediateSize();
        return switch (p) {
            case ATTN_Q -> new LinearRef(h(l, "attn.q_proj.weight"), null, WeightLayout.OUT_IN, d, d);
            case ATTN_K -> new LinearRef(h(l, "attn.k_proj.weight"), null, WeightLayout.OUT_IN, d, d);
            case ATTN_V -> new LinearRef(h(l, "attn.v_proj.weight"), null, WeightLayout.OUT_IN, d, d);
            case ATTN_OUT -> new LinearRef(h(l, "attn.out_proj.weight"), null, WeightLayout.OUT_IN, d, d);
            case MLP_UP -> new LinearRef(h(l, "mlp.fc_in.weight"), h(l, "mlp.fc_in.bias"), WeightLayout.OUT_IN, d, ff);
            case MLP_DOWN -> new LinearRef(h(l, "mlp.fc_out.weight"), h(l, "mlp.fc_out.bias"), WeightLayout.OUT_IN, ff, d);
            default -> throw new IllegalArgumentException("GPT-J has no " + p
                    + " projection (separate q/k/v, no gate)");
        };
    }

    @Override
    public List<Projection> projections() {
        return List.of(Projection.ATTN_Q, Projection.ATTN_K, Projection.ATTN_V, Projection.ATTN_OUT,
                Projection.MLP_UP, Projection.MLP_DOWN);
    }

    @Override
    public String hiddenActivation() {
        return activation;
    }

    @Override
    public String layersModule() {
        return PREFIX + "h";
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
            NDArray e = embedding(w, tokenEmbeddingName(), ids);
            return hooks.isEmpty() ? e : hooks.embeddings(e, ctx);
        });
        NDArray[] cosSin = rotary.tables(positions);
        Shape heads = new Shape(ctx.batchSize(), ctx.newTokens(), config.numHeads(), config.headDim());
        for (int l = firstLayer(); l < endLayer(); l++) {
            NDArray a = layerNorm(w, x, h(l, "ln_1"));
            NDArray q = rotary.apply(linear(w, linear(l, Projection.ATTN_Q), l, Projection.ATTN_Q, a, hooks, ctx).reshape(heads), cosSin);
            NDArray k = rotary.apply(linear(w, linear(l, Projection.ATTN_K), l, Projection.ATTN_K, a, hooks, ctx).reshape(heads), cosSin);
            NDArray v = linear(w, linear(l, Projection.ATTN_V), l, Projection.ATTN_V, a, hooks, ctx).reshape(heads);
            NDArray att = attend(l, q, k, v, mask, cache);
            NDArray keys = Activations.apply(activation, linear(w, linear(l, Projection.MLP_UP), l, Projection.MLP_UP, a, hooks, ctx));
            x = finishBlock(w, l, attentionResidual(w, l, x, att, hooks, ctx), keys, hooks, ctx);
        }
        NDArray hidden = layerNorm(w, x, finalNormModule());
        return new ForwardResult(lmHead(w, hidden, "lm_head.weight", "lm_head.bias", tokenEmbeddingName()), hidden);
    }
}
