package dev.emend.mastery.engine;

import dev.emend.core.model.WeightLayout;
import dev.emend.mastery.alphaedit.AlphaEditUpdate;
import dev.emend.mastery.ft.FtUpdate;
import dev.emend.mastery.memit.MemitUpdate;
import dev.emend.mastery.rome.RomeUpdate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger payload of a weight edit in compact form: ROME's two vectors (ΔW = u vᵀ), MEMIT's
 * per-layer low-rank factors (ΔW_l = A_l B_l, rank ≤ batch size), FT's dense delta of each changed
 * matrix; AlphaEdit's factors plus the edit's keys (the memory later edits are solved against). Big-endian, versioned by a leading kind tag; only what {@code apply} needs is stored
 * (diagnostics go to the ledger's diagnostics column).
 */
public final class UpdateCodec {
    private static final int ROME = 1;
    private static final int MEMIT = 2;
    private static final int FT = 3;
    private static final int ALPHA_EDIT = 4;

    private UpdateCodec() {
    }

    public static byte[] encode(Object update) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            if (update instanceof RomeUpdate r) {
                out.writeInt(ROME);
                out.writeUTF(r.method());
                out.writeInt(r.layer());
                out.writeUTF(r.weightName());
                out.writeUTF(r.layout().name());
                floats(out, r.left());
                floats(out, r.right());
            } else if (update instanceof MemitUpdate m) {
                out.writeInt(MEMIT);
                out.writeUTF(m.method());
                layerDeltas(out, m);
            } else if (update instanceof AlphaEditUpdate a) {
                // The weight factors as MEMIT's, then the edit's keys per layer (AlphaEdit's memory K_p).
                out.writeInt(ALPHA_EDIT);
                out.writeUTF(a.weights().method());
                layerDeltas(out, a.weights());
                out.writeInt(a.memoryKeys().size());
                for (AlphaEditUpdate.LayerKeys k : a.memoryKeys()) {
                    out.writeInt(k.layer());
                    out.writeInt(k.n());
                    out.writeInt(k.dff());
                    floats(out, k.keys());
                }
            } else if (update instanceof FtUpdate f) {
                out.writeInt(FT);
                out.writeUTF(f.method());
                out.writeInt(f.deltas().size());
                for (FtUpdate.LayerDelta d : f.deltas()) {
                    out.writeInt(d.layer());
                    out.writeUTF(d.weightName());
                    out.writeInt(d.shape().length);
                    for (long s : d.shape()) {
                        out.writeLong(s);
                    }
                    floats(out, d.delta());
                }
            } else {
                throw new IllegalStateException("no payload encoding for " + update.getClass().getName());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Decodes to a {@link RomeUpdate}, {@link MemitUpdate} or {@link FtUpdate}. */
    public static Object decode(byte[] payload) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            int kind = in.readInt();
            String method = in.readUTF();
            return switch (kind) {
                case ROME -> {
                    int layer = in.readInt();
                    String weight = in.readUTF();
                    WeightLayout layout = WeightLayout.valueOf(in.readUTF());
                    float[] left = floats(in);
                    float[] right = floats(in);
                    yield new RomeUpdate(method, layer, weight, layout, left, right, new float[0], new float[0], 0, 0, 0, 0, 0);
                }
                case MEMIT -> layerDeltas(in, method);
                case ALPHA_EDIT -> {
                    MemitUpdate weights = layerDeltas(in, method);
                    int n = in.readInt();
                    List<AlphaEditUpdate.LayerKeys> keys = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        int layer = in.readInt();
                        int count = in.readInt();
                        int dff = in.readInt();
                        keys.add(new AlphaEditUpdate.LayerKeys(layer, count, dff, floats(in)));
                    }
                    yield new AlphaEditUpdate(weights, keys);
                }
                case FT -> {
                    int n = in.readInt();
                    List<FtUpdate.LayerDelta> deltas = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        int layer = in.readInt();
                        String weight = in.readUTF();
                        long[] shape = new long[in.readInt()];
                        for (int k = 0; k < shape.length; k++) {
                            shape[k] = in.readLong();
                        }
                        deltas.add(new FtUpdate.LayerDelta(layer, weight, shape, floats(in)));
                    }
                    yield new FtUpdate(method, deltas, 0, 0, 0);
                }
                default -> throw new IllegalArgumentException("unknown payload kind " + kind);
            };
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt mastery payload: " + e.getMessage(), e);
        }
    }

    private static void layerDeltas(DataOutputStream out, MemitUpdate m) throws IOException {
        out.writeInt(m.layers().size());
        for (MemitUpdate.LayerDelta d : m.layers()) {
            out.writeInt(d.layer());
            out.writeUTF(d.weightName());
            out.writeUTF(d.layout().name());
            out.writeInt(d.rank());
            out.writeInt(d.dModel());
            out.writeInt(d.dff());
            floats(out, d.a());
            floats(out, d.b());
        }
    }

    private static MemitUpdate layerDeltas(DataInputStream in, String method) throws IOException {
        int n = in.readInt();
        List<MemitUpdate.LayerDelta> layers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int layer = in.readInt();
            String weight = in.readUTF();
            WeightLayout layout = WeightLayout.valueOf(in.readUTF());
            int rank = in.readInt();
            int dModel = in.readInt();
            int dff = in.readInt();
            float[] a = floats(in);
            float[] b = floats(in);
            layers.add(new MemitUpdate.LayerDelta(layer, weight, layout, rank, dModel, dff, a, b));
        }
        return new MemitUpdate(method, layers, new double[0], new double[0], new int[0], new double[0]);
    }

    private static void floats(DataOutputStream out, float[] v) throws IOException {
        out.writeInt(v.length);
        for (float f : v) {
            out.writeFloat(f);
        }
    }

    private static float[] floats(DataInputStream in) throws IOException {
        float[] v = new float[in.readInt()];
        for (int i = 0; i < v.length; i++) {
            v[i] = in.readFloat();
        }
        return v;
    }
}
