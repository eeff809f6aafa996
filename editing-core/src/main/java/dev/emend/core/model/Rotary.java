package dev.emend.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * Rotary position embeddings (RoPE) as Hugging Face applies them, for the first {@code rotaryDim}
 * features of each head (all of them for Llama-style models, {@code rotary_dim} for GPT-J).
 * Two pairings exist: {@link Pairing#HALVES} rotates feature {@code i} with {@code i + R/2}
 * (Llama's {@code rotate_half}), {@link Pairing#INTERLEAVED} rotates {@code 2i} with {@code 2i+1}
 * (GPT-J's {@code rotate_every_two}). Frequencies and angles are rounded to float32 the way
 * PyTorch computes them in float32 ({@code inv_freq}, then {@code position * inv_freq}), so
 * positions in the thousands get the reference's angles, not more exact ones.
 */
public final class Rotary {
    public enum Pairing {
        HALVES, INTERLEAVED
    }

    private final float[] invFreq;
    private final int rotaryDim;
    private final Pairing pairing;

    public Rotary(float[] invFreq, Pairing pairing) {
        this.invFreq = invFreq.clone();
        this.rotaryDim = 2 * invFreq.length;
        this.pairing = pairing;
    }

    public int rotaryDim() {
        return rotaryDim;
    }

    /** {@code 1 / theta^(2i/dim)} for {@code i < dim/2}, in float32 as PyTorch evaluates it. */
    public static float[] inverseFrequencies(int dim, double theta) {
        float[] f = new float[dim / 2];
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / (float) dim;
            f[i] = (float) (1.0 / (float) Math.pow((float) theta, exponent));
        }
        return f;
    }

    /**
     * The {@code rope_scaling} types implemented: absent/null, {@code default}, {@code llama3}.
     * Anything else (linear, dynamic, yarn, longrope, ...) is refused naming the field.
     */
    public static void checkScaling(JsonObject config, String family) {
        JsonObject rs = scaling(config);
        if (rs != null) {
            String type = scalingType(rs);
            if (!type.equals("default") && !type.equals("llama3")) {
                ModelConfig.refuse(family, "rope_scaling.rope_type", "'" + type + "'", "supported: default, llama3");
            }
            if (type.equals("llama3")) {
                for (String f : new String[] {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
                    if (!rs.has(f) || !rs.get(f).isJsonPrimitive()) {
                        throw new CheckpointException("config.json: field 'rope_scaling." + f + "' is required for rope_type llama3");
                    }
                }
            }
        }
    }

    private static JsonObject scaling(JsonObject config) {
        JsonElement e = config == null ? null : config.get("rope_scaling");
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonObject()) {
            throw new CheckpointException("config.json: field 'rope_scaling' is not an object: " + e);
        }
        return e.getAsJsonObject();
    }

    private static String scalingType(JsonObject rs) {
        return rs.has("rope_type") ? rs.get("rope_type").getAsString() : rs.has("type") ? rs.get("type").getAsString() : "default";
    }

    /**
     * Inverse frequencies with the config's {@code rope_scaling} applied. Llama 3.1's scaling
     * divides long wavelengths by {@code factor}, keeps short ones and interpolates between.
     */
    public static float[] scaledInverseFrequencies(int dim, double theta, JsonObject config) {
        float[] f = inverseFrequencies(dim, theta);
        JsonObject rs = scaling(config);
        if (rs == null || !scalingType(rs).equals("llama3")) {
            return f;
        }
        double factor = rs.get("factor").getAsDouble();
        double low = rs.get("low_freq_factor").getAsDouble();
        double high = rs.get("high_freq_factor").getAsDouble();
        double old = rs.get("original_max_position_embeddings").getAsDouble();
        double lowWavelen = old / low;
        double highWavelen = old / high;
        for (int i = 0; i < f.length; i++) {
            double wavelen = 2 * Math.PI / f[i];
            if (wavelen > lowWavelen) {
                f[i] = (float) (f[i] / factor);
            } else if (wavelen >= highWavelen) {
                double smooth = (old / wavelen - low) / (high - low);
                f[i] = (float) ((1 - smooth) * f[i] / factor + smooth * f[i]);
            }
        }
        return f;
    }

    /** cos and sin tables {@code [B,T,1,R]} for absolute positions {@code [B,T]}, laid out for the pairing. */
    public NDArray[] tables(NDArray positions) {
        long[] pos = positions.toLongArray();
        int half = invFreq.length;
        float[] cos = new float[pos.length * rotaryDim];
        float[] sin = new float[pos.length * rotaryDim];
        for (int i = 0; i < pos.length; i++) {
            for (int j = 0; j < half; j++) {
                float angle = (float) pos[i] * invFreq[j];
                float c = (float) Math.cos(angle);
                float s = (float) Math.sin(angle);
                int a = pairing == Pairing.HALVES ? j : 2 * j;
                int b = pairing == Pairing.HALVES ? j + half : 2 * j + 1;
                int base = i * rotaryDim;
                cos[base + a] = c;
                cos[base + b] = c;
                sin[base + a] = s;
                sin[base + b] = s;
            }
        }
        Shape shape = new Shape(positions.getShape().get(0), positions.getShape().get(1), 1, rotaryDim);
        NDManager m = positions.getManager();
        return new NDArray[] {m.create(cos, shape), m.create(sin, shape)};
    }

    /** Rotates the first {@code R} features of {@code x} {@code [B,T,H,D]}; the rest pass through. */
    public NDArray apply(NDArray x, NDArray[] cosSin) {
        long d = x.getShape().get(3);
        if (rotaryDim == d) {
            return rotate(x, cosSin);
        }
        NDList parts = x.split(new long[] {rotaryDim}, 3);
        return rotate(parts.get(0), cosSin).concat(parts.get(1), 3);
    }

    private NDArray rotate(NDArray x, NDArray[] cosSin) {
        NDArray rotated;
        if (pairing == Pairing.HALVES) {
            NDList parts = x.split(new long[] {rotaryDim / 2}, 3);
            rotated = parts.get(1).neg().concat(parts.get(0), 3);
        } else {
            Shape s = x.getShape();
            NDList pairs = x.reshape(s.get(0), s.get(1), s.get(2), rotaryDim / 2, 2).split(2, 4);
            rotated = pairs.get(1).neg().concat(pairs.get(0), 4).reshape(s);
        }
        // The tables are float32; in a half-precision pass they are rounded to it (as Hugging Face does).
        ai.djl.ndarray.types.DataType type = x.getDataType();
        NDArray cos = cosSin[0].getDataType() == type ? cosSin[0] : cosSin[0].toType(type, false);
        NDArray sin = cosSin[1].getDataType() == type ? cosSin[1] : cosSin[1].toType(type, false);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
