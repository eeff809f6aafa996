package dev.emend.association.engine;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ledger payload format of the association methods: a small, self-describing binary layout
 * of named float32 tensors and string metadata, all big-endian (Java's DataOutput):
 * {@code "EMAP"}, version (int 1), metadata count, (key UTF, value UTF)*, tensor count, then per
 * tensor: name (UTF), rank (int), dims (int each), values (float each). Insertion order is kept,
 * so the same pack always serializes to the same bytes (replicas replaying the ledger agree).
 */
public final class TensorPack {
    private static final int MAGIC = 0x454d4150; // "EMAP"
    private static final int VERSION = 1;

    /** One tensor: values in row-major order and its shape. */
    public record Tensor(float[] values, int[] shape) {
        public Tensor {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            if (n != values.length) {
                throw new IllegalArgumentException("tensor of shape " + java.util.Arrays.toString(shape) + " needs " + n
                        + " values, got " + values.length);
            }
        }
    }

    private final Map<String, String> meta = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    public TensorPack put(String key, String value) {
        meta.put(key, value);
        return this;
    }

    public TensorPack put(String key, double value) {
        return put(key, Double.toString(value));
    }

    public TensorPack put(String key, long value) {
        return put(key, Long.toString(value));
    }

    public TensorPack tensor(String name, float[] values, int... shape) {
        tensors.put(name, new Tensor(values, shape));
        return this;
    }

    public String get(String key) {
        String v = meta.get(key);
        if (v == null) {
            throw new IllegalArgumentException("payload has no '" + key + "' entry (written by another method or version?)");
        }
        return v;
    }

    public String getOrDefault(String key, String fallback) {
        return meta.getOrDefault(key, fallback);
    }

    public int getInt(String key) {
        return Integer.parseInt(get(key));
    }

    public long getLong(String key) {
        return Long.parseLong(get(key));
    }

    public double getDouble(String key) {
        return Double.parseDouble(get(key));
    }

    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("payload has no tensor '" + name + "'");
        }
        return t;
    }

    public boolean hasTensor(String name) {
        return tensors.containsKey(name);
    }

    public Map<String, String> metadata() {
        return java.util.Collections.unmodifiableMap(meta);
    }

    public Map<String, Tensor> tensors() {
        return java.util.Collections.unmodifiableMap(tensors);
    }

    public byte[] toBytes() {
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream(); DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(meta.size());
            for (Map.Entry<String, String> e : meta.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            out.writeInt(tensors.size());
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                out.writeUTF(e.getKey());
                int[] shape = e.getValue().shape();
                out.writeInt(shape.length);
                for (int d : shape) {
                    out.writeInt(d);
                }
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4 * e.getValue().values().length);
                buf.asFloatBuffer().put(e.getValue().values());
                out.write(buf.array());
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static TensorPack fromBytes(byte[] payload) {
        if (payload == null || payload.length < 8) {
            throw new IllegalArgumentException("association payload is empty or truncated");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload))) {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException("not an association payload (bad magic)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("association payload version " + version + " is not supported (expected "
                        + VERSION + ")");
            }
            TensorPack p = new TensorPack();
            int nm = in.readInt();
            for (int i = 0; i < nm; i++) {
                p.meta.put(in.readUTF(), in.readUTF());
            }
            int nt = in.readInt();
            for (int i = 0; i < nt; i++) {
                String name = in.readUTF();
                int rank = in.readInt();
                int[] shape = new int[rank];
                long n = 1;
                for (int r = 0; r < rank; r++) {
                    shape[r] = in.readInt();
                    n *= shape[r];
                }
                byte[] raw = new byte[Math.toIntExact(4 * n)];
                in.readFully(raw);
                float[] values = new float[(int) n];
                java.nio.ByteBuffer.wrap(raw).asFloatBuffer().get(values);
                p.tensors.put(name, new Tensor(values, shape));
            }
            return p;
        } catch (IOException e) {
            throw new IllegalArgumentException("association payload is truncated: " + e.getMessage(), e);
        }
    }
}
