package dev.emend.core.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import com.google.gson.JsonObject;
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
 * Llama's forward pass: token embeddings, pre-RMSNorm blocks with rotary (RoPE, "rotate half"
 * convention of the Hugging Face implementation) grouped-query attention and a SwiGLU MLP
 * ({@code down(silu(gate x) * up x)}), final RMSNorm, separate or tied head. Linear maps are
 * {@code nn.Linear} ({@code [d_out, d_in]}). The only class that knows Llama's tensor names.
 */
public final class LlamaModel extends DecoderModel {
    private final double[] invFreq;

    public LlamaModel(ModelConfig config) {
        super(config);
        this.invFreq = inverseFrequencies(config);
    }

    private static String layer(int l, String rest) {
        return "model.layers." + l + "." + rest;
    }

    static double[] inverseFrequencies(ModelConfig c) {
        int d = c.headDim();
        double[] f = new double[d / 2];
        for (int i = 0; i < d / 2; i++) {
            f[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / d);
        }
        JsonObject raw = c.raw();
        if (raw != null && raw.has("rope_scaling") && !raw.get("rope_scaling").isJsonNull()) {
            JsonObject rs = raw.getAsJsonObject("rope_scaling");
            String type = rs.has("rope_type") ? rs.get("rope_type").getAsString() : rs.has("type") ? rs.get("type").getAsString() : "default";
            if (type.equals("llama3")) {
                // Llama 3.1's frequency-dependent scaling: long wavelengths are divided by the
                // factor, short ones kept, the band between interpolated smoothly.
                double factor = rs.get("factor").getAsDouble();
                double low = rs.get("low_freq_factor").getAsDouble();
                double high = rs.get("high_freq_factor").getAsDouble();
                double old = rs.get("original_max_position_embeddings").getAsDouble();
                double lowWavelen = old / low;
                double highWavelen = old / high;
                for (int i = 0; i < f.length; i++) {
                    double wavelen = 2 * Math.PI / f[i];
                    if (wavelen > lowWavelen) {
                        f[i] = f[i] / factor;
                    } else if (wavelen >= highWavelen) {
                        double smooth = (old / wavelen - low) / (high - low);
                        f[i] = (1 - smooth) * f[i] / factor + smooth * f[i];
                    }
                }
            }
        }
        return f;
    }

    @Override
    public Map<String, Shape> parameterShapes() {
        int d = config.hiddenSize();
        int ff = config.intermediateSize();
        int kv = config.numKvHeads() * config.headDim();
        boolean attnBias = config.raw() != null && config.raw().has("attention_bias") && config.raw().get("attention_bias").getAsBoolean();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put("model.embed_tokens.weight", new Shape(config.vocabSize(), d));
        for (int l = 0; l < config.numLayers(); l++) {
            s.put(layer(l, "input_layernorm.weight"), new Shape(d));
            s.put(layer(l, "self_attn.q_proj.weight"), new Shape(d, d));
            s.put(layer(l, "self_attn.k_proj.weight"), new Shape(kv, d));
            s.put(layer(l, "self_attn.v_proj.weight"), new Shape(kv, d));
            if (attnBias) {
                s.put(layer(l, "self_attn.q_proj.bias"), new Shape(d));
                s.put(layer(l, "self_attn.k_proj.bias"), new Shape(kv));
                s.put(layer(l, "self_attn.v_proj.bias"), new Shape(kv));
            }
            s.put(layer(l, "self_attn.o_proj.weight"), new Shape(d, d));
            if (attnBias) {
                s.put(layer(l, "self_attn.o_proj.bias"), new Shape(d));
            }
            s.put(layer(l, "post_attention_layernorm.weight"), new Shape(d));
            s.put(layer(l, "mlp.gate_proj.weight"), new Shape(ff, d));
            s.put(layer(l, "mlp.up_proj.weight"), new Shape(ff, d));
            s.put(layer(l, "mlp.down_proj.weight"), new Shape(d, ff));
        }
        s.put("model.norm.weight", new Shape(d));
        if (!config.tieWordEmbeddings()) {
            s.put("lm_head.weight", new Shape(config.vocabSize(), d));
        }
        return s;
    }

    @Override
    public List<String> checkpointNames(String canonical) {
        return List.of(canonical);
    }

    @Override
    public Map<String, String> tiedParameters() {
        return config.tieWordEmbeddings() ? Map.of("lm_head.weight", "model.embed_tokens.weight") : Map.of();
    }

    @Override
    public Map<String, NDArray> initialise(NDManager m, long seed) {
        Random rnd = new Random(seed);
        Map<String, NDArray> p = new LinkedHashMap<>();
        parameterShapes().forEach((name, shape) -> p.put(name,
                name.endsWith("norm.weight") || name.endsWith("layernorm.weight") ? filled(m, shape, 1f)
                        : name.endsWith(".bias") ? filled(m, shape, 0f) : normal(m, rnd, shape, 0.02)));
        return p;
    }

    @Override
    public LinearRef linear(int l, Projection p) {
        int d = config.hiddenSize();
        int ff = config.intermediateSize();
        int kv = config.numKvHeads() * config.headDim();
        boolean attnBias = config.raw() != null && config.raw().has("attention_bias") && config.raw().get("attention_bias").getAsBoolean();
        return switch (p) {
            case ATTN_Q -> new LinearRef(layer(l, "self_attn.q_proj.weight"), attnBias ? layer(l, "self_attn.q_proj.bias") : null, WeightLayout.OUT_IN, d, d);
            case ATTN_K -> new LinearRef(layer(l, "self_attn.k_proj.weight"), attnBias ? layer(l, "self_attn.k_proj.bias") : null, WeightLayout.OUT_IN, d, kv);
            case ATTN_V -> new LinearRef(layer(l, "self_attn.v_proj.weight"), attnBias ? layer(l, "self_attn.v_proj.bias") : null, WeightLayout.OUT_IN, d, kv);
            case ATTN_OUT -> new LinearRef(layer(l, "self_attn.o_proj.weight"), attnBias ? layer(l, "self_attn.o_proj.bias") : null, WeightLayout.OUT_IN, d, d);
            case MLP_GATE -> new LinearRef(layer(l, "mlp.gate_proj.weight"), null, WeightLayout.OUT_IN, d, ff);
            case MLP_UP -> new LinearRef(layer(l, "mlp.up_proj.weight"), null, WeightLayout.OUT_IN, d, ff);
            case MLP_DOWN -> new LinearRef(layer(l, "mlp.down_proj.weight"), null, WeightLayout.OUT_IN, ff, d);
            case ATTN_QKV -> throw new IllegalArgumentException("Llama has separate ATTN_Q, ATTN_K and ATTN_V projections, not a fused ATTN_QKV");
        };
    }

    @Override
    protected ForwardResult run(Weights w, NDArray ids, NDArray positions, NDArray mask, Hooks hooks,
                                KvCache cache, HookContext ctx) {
        NDArray x = embedding(w, "model.embed_tokens.weight", ids);
        x = hooks.isEmpty() ? x : hooks.embeddings(x, ctx);
        NDArray[] cosSin = rotary(positions);
        long b = ctx.batchSize();
        long t = ctx.newTokens();
        int dh = config.headDim();
        for (int l = 0; l < config.numLayers(); l++) {
            NDArray a = rmsNorm(w, x, layer(l, "input_layernorm.weight"));
            NDArray q = linear(w, linear(l, Projection.ATTN_Q), l, Projection.ATTN_Q, a, hooks, ctx).reshape(b, t, config.numHeads(), dh);
            NDArray k = linear(w, linear(l, Projection.ATTN_K), l, Projection.ATTN_K, a, hooks, ctx).reshape(b, t, config.numKvHeads(), dh);
            NDArray v = linear(w, linear(l, Projection.ATTN_V), l, Projection.ATTN_V, a, hooks, ctx).reshape(b, t, config.numKvHeads(), dh);
            q = rope(q, cosSin);
            k = rope(k, cosSin);
            NDArray att = attend(l, q, k, v, mask, cache);
            x = attentionResidual(w, l, x, att, hooks, ctx);
            NDArray m = rmsNorm(w, x, layer(l, "post_attention_layernorm.weight"));
            NDArray gate = linear(w, linear(l, Projection.MLP_GATE), l, Projection.MLP_GATE, m, hooks, ctx);
            NDArray up = linear(w, linear(l, Projection.MLP_UP), l, Projection.MLP_UP, m, hooks, ctx);
            NDArray keys = gate.mul(Activation.sigmoid(gate)).mul(up);
            x = finishBlock(w, l, x, keys, hooks, ctx);
        }
        NDArray hidden = rmsNorm(w, x, "model.norm.weight");
        return new ForwardResult(lmHead(w, hidden, "lm_head.weight", "model.embed_tokens.weight"), hidden);
    }

    /** RMSNorm; for half-precision activations the statistics are float32, as in Hugging Face. */
    private NDArray rmsNorm(Weights w, NDArray x, String name) {
        DataType type = x.getDataType();
        NDArray x32 = type == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        NDArray rms = x32.square().mean(new int[] {-1}, true).add(config.normEps()).sqrt();
        NDArray normed = x32.div(rms);
        return (type == DataType.FLOAT32 ? normed : normed.toType(type, false)).mul(vector(w, name));
    }

    /** cos and sin tables {@code [B,T,1,D]} for the given absolute positions. */
    private NDArray[] rotary(NDArray positions) {
        long[] pos = positions.toLongArray();
        int d = config.headDim();
        int half = d / 2;
        float[] cos = new float[pos.length * d];
        float[] sin = new float[pos.length * d];
        for (int i = 0; i < pos.length; i++) {
            for (int j = 0; j < half; j++) {
                double angle = pos[i] * invFreq[j];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                cos[i * d + j] = c;
                cos[i * d + j + half] = c;
                sin[i * d + j] = s;
                sin[i * d + j + half] = s;
            }
        }
        Shape shape = new Shape(positions.getShape().get(0), positions.getShape().get(1), 1, d);
        NDManager m = positions.getManager();
        return new NDArray[] {m.create(cos, shape), m.create(sin, shape)};
    }

    private NDArray rope(NDArray x, NDArray[] cosSin) {
        int half = config.headDim() / 2;
        NDList parts = x.split(new long[] {half}, 3);
        NDArray rotated = parts.get(1).neg().concat(parts.get(0), 3);
        // The tables are float32; in a half-precision pass they are rounded to it (as Hugging Face does).
        DataType type = x.getDataType();
        NDArray cos = cosSin[0].getDataType() == type ? cosSin[0] : cosSin[0].toType(type, false);
        NDArray sin = cosSin[1].getDataType() == type ? cosSin[1] : cosSin[1].toType(type, false);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
