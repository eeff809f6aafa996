package dev.emend.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Writes tensors to a {@code .safetensors} file that Hugging Face tooling can read. Tensors are
 * laid out back to back in the iteration order of the given map (pass a {@code LinkedHashMap} for
 * a stable file), the JSON header is space-padded to a multiple of 8 bytes so the data region is
 * aligned, and the file is written to a temporary sibling and then moved into place, so a crash
 * or a full disk never leaves a half-written checkpoint under the real name. Floating-point
 * tensors are stored as F32 or, on request, BF16 (round-to-nearest-even); DJL INT64, INT32, INT8,
 * UINT8 and BOOLEAN arrays keep their type.
 */
public final class SafetensorsWriter {

    /** Storage type for floating-point tensors. */
    public enum Precision {
        F32,
        /** Half the size, the usual dtype of released checkpoints; about 3 significant digits. */
        BF16
    }

    /** A host-side float tensor, for callers that do not use DJL. */
    public record FloatTensor(float[] values, long[] shape) {
        public FloatTensor {
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
                }
                n = Math.multiplyExact(n, d);
            }
            if (n != values.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                        + " elements but " + values.length + " values were given");
            }
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final int CHUNK = 1 << 20;

    private SafetensorsWriter() {}

    /** Writes {@code tensors} as F32 without metadata. */
    public static void write(Path file, Map<String, NDArray> tensors) throws IOException {
        write(file, tensors, Map.of(), Precision.F32);
    }

    /** Writes DJL arrays; {@code metadata} goes into {@code __metadata__} (may be empty). */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata,
            Precision precision) throws IOException {
        List<Entry> entries = new ArrayList<>(tensors.size());
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            long[] shape = a.getShape().getShape();
            DataType t = a.getDataType();
            Entry entry = switch (t) {
                case INT64 -> longs(e.getKey(), shape, a.toLongArray());
                case INT32 -> ints(e.getKey(), shape, a.toIntArray());
                case INT8 -> bytes(e.getKey(), Dtype.I8, shape, rawBytes(a));
                case UINT8 -> bytes(e.getKey(), Dtype.U8, shape, rawBytes(a));
                case BOOLEAN -> bytes(e.getKey(), Dtype.BOOL, shape, rawBytes(a));
                default -> {
                    if (!t.isFloating()) {
                        throw new IllegalArgumentException(file + ": tensor '" + e.getKey()
                                + "' has data type " + t + ", which cannot be written");
                    }
                    float[] v = t == DataType.FLOAT32 ? a.toFloatArray()
                            : a.toType(DataType.FLOAT32, false).toFloatArray();
                    yield floats(e.getKey(), shape, v, precision);
                }
            };
            entries.add(entry);
        }
        writeEntries(file, entries, metadata);
    }

    /** Writes host float arrays; {@code metadata} goes into {@code __metadata__} (may be empty). */
    public static void writeFloats(Path file, Map<String, FloatTensor> tensors, Map<String, String> metadata,
            Precision precision) throws IOException {
        List<Entry> entries = new ArrayList<>(tensors.size());
        for (Map.Entry<String, FloatTensor> e : tensors.entrySet()) {
            entries.add(floats(e.getKey(), e.getValue().shape(), e.getValue().values(), precision));
        }
        writeEntries(file, entries, metadata);
    }

    /**
     * A float tensor whose values are produced on demand, in order, so a multi-gigabyte checkpoint
     * (a benchmark's random weights) is written without ever being held in memory.
     */
    public record GeneratedTensor(long[] shape, java.util.function.DoubleSupplier values) {
        public GeneratedTensor {
            shape = shape.clone();
        }

        int count() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return Math.toIntExact(n);
        }
    }

    /** Writes generated tensors; {@code metadata} goes into {@code __metadata__} (may be empty). */
    public static void writeGenerated(Path file, Map<String, GeneratedTensor> tensors, Map<String, String> metadata,
            Precision precision) throws IOException {
        List<Entry> entries = new ArrayList<>(tensors.size());
        for (Map.Entry<String, GeneratedTensor> e : tensors.entrySet()) {
            GeneratedTensor g = e.getValue();
            int count = g.count();
            Dtype dtype = precision == Precision.BF16 ? Dtype.BF16 : Dtype.F32;
            entries.add(new Entry(e.getKey(), dtype, g.shape(), count, (buf, i) -> {
                for (; i < count && buf.remaining() >= dtype.bytes; i++) {
                    float v = (float) g.values().getAsDouble();
                    if (dtype == Dtype.BF16) {
                        buf.putShort(Halfs.floatToBf16(v));
                    } else {
                        buf.putFloat(v);
                    }
                }
                return i;
            }));
        }
        writeEntries(file, entries, metadata);
    }

    // ---------------------------------------------------------------------------------------------

    /** Fills {@code buf} with elements starting at {@code from}; returns the next element index. */
    @FunctionalInterface
    private interface Encoder {
        int fill(ByteBuffer buf, int from);
    }

    private record Entry(String name, Dtype dtype, long[] shape, int count, Encoder encoder) {
        long byteLength() {
            return (long) count * dtype.bytes;
        }
    }

    private static Entry floats(String name, long[] shape, float[] v, Precision precision) {
        if (precision == Precision.BF16) {
            return new Entry(name, Dtype.BF16, shape, v.length, (buf, i) -> {
                for (; i < v.length && buf.remaining() >= 2; i++) {
                    buf.putShort(Halfs.floatToBf16(v[i]));
                }
                return i;
            });
        }
        return new Entry(name, Dtype.F32, shape, v.length, (buf, i) -> {
            for (; i < v.length && buf.remaining() >= 4; i++) {
                buf.putFloat(v[i]);
            }
            return i;
        });
    }

    private static Entry longs(String name, long[] shape, long[] v) {
        return new Entry(name, Dtype.I64, shape, v.length, (buf, i) -> {
            for (; i < v.length && buf.remaining() >= 8; i++) {
                buf.putLong(v[i]);
            }
            return i;
        });
    }

    private static Entry ints(String name, long[] shape, int[] v) {
        return new Entry(name, Dtype.I32, shape, v.length, (buf, i) -> {
            for (; i < v.length && buf.remaining() >= 4; i++) {
                buf.putInt(v[i]);
            }
            return i;
        });
    }

    /** One-byte types have no byte order, so the engine's raw buffer is already the file format. */
    private static byte[] rawBytes(NDArray a) {
        ByteBuffer b = a.toByteBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static Entry bytes(String name, Dtype dtype, long[] shape, byte[] v) {
        return new Entry(name, dtype, shape, v.length, (buf, i) -> {
            int n = Math.min(buf.remaining(), v.length - i);
            buf.put(v, i, n);
            return i + n;
        });
    }

    private static void writeEntries(Path file, List<Entry> entries, Map<String, String> metadata)
            throws IOException {
        byte[] header = header(file, entries, metadata);
        Path target = file.toAbsolutePath();
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                writeAll(ch, prefix.flip());
                writeAll(ch, ByteBuffer.wrap(header));
                ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
                for (Entry e : entries) {
                    int next = 0;
                    while (next < e.count()) {
                        buf.clear();
                        next = e.encoder().fill(buf, next);
                        writeAll(ch, buf.flip());
                    }
                }
                // Durable before it becomes visible under the real name.
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    private static byte[] header(Path file, List<Entry> entries, Map<String, String> metadata) {
        JsonObject root = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            root.add(SafetensorsFile.METADATA_KEY, meta);
        }
        long offset = 0;
        for (Entry e : entries) {
            if (SafetensorsFile.METADATA_KEY.equals(e.name())) {
                throw new IllegalArgumentException(file + ": '" + SafetensorsFile.METADATA_KEY
                        + "' is reserved and cannot be a tensor name");
            }
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.dtype().name());
            JsonArray shape = new JsonArray();
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += e.byteLength();
            offsets.add(offset);
            t.add("data_offsets", offsets);
            root.add(e.name(), t);
        }
        byte[] json = GSON.toJson(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeAll(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
