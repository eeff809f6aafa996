package dev.emend.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.EOFException;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One {@code .safetensors} file, opened for random access. Opening reads and validates only the
 * header (every tensor's dtype, shape and byte range are checked against the file size up front, so
 * a truncated download fails at open rather than halfway through loading a model); each
 * {@code load} then maps just that tensor's byte range, which works at any file offset, including
 * beyond 2 GiB. Loads may run concurrently from several threads; {@link #close()} must not race
 * with them. Integer tensors keep their width, every floating-point dtype is delivered as float32.
 */
public final class SafetensorsFile implements TensorSource {

    /** Same ceiling as the reference implementation; a larger header means a corrupt length prefix. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    static final String METADATA_KEY = "__metadata__";

    private final Path path;
    private final String label;
    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, Dtype> dtypes;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel) throws IOException {
        this.path = path;
        this.label = path.toString();
        this.channel = channel;
        this.fileSize = channel.size();
        if (fileSize < 8) {
            throw error("file is " + fileSize + " bytes, too short for the 8-byte header length (truncated?)");
        }
        long headerLength = readFully(0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 2 || headerLength > MAX_HEADER_BYTES) {
            throw error("header length " + headerLength + " is implausible (expected 2.."
                    + MAX_HEADER_BYTES + "); not a safetensors file or corrupt");
        }
        if (8 + headerLength > fileSize) {
            throw error("header length " + headerLength + " exceeds the file size " + fileSize
                    + " (truncated?)");
        }
        long dataStart = 8 + headerLength;
        JsonObject header = parseHeader(readFully(8, (int) headerLength));

        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        Map<String, Dtype> types = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (METADATA_KEY.equals(e.getKey())) {
                parseMetadata(e.getValue(), meta);
                continue;
            }
            String name = e.getKey();
            ParsedEntry p = parseEntry(name, e.getValue(), fileSize - dataStart);
            infos.put(name, new TensorInfo(name, p.dtype.name(), p.shape, dataStart + p.begin, p.end - p.begin));
            types.put(name, p.dtype);
        }
        this.tensors = Collections.unmodifiableMap(infos);
        this.dtypes = types;
        this.metadata = Collections.unmodifiableMap(meta);
    }

    /** Opens and validates {@code path}; the caller owns the result and must close it. */
    public static SafetensorsFile open(Path path) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafetensorsFile(path, ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(missing(label, name, tensors.keySet()));
        }
        return t;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public NDArray load(String name, NDManager manager) throws IOException {
        TensorInfo t = info(name);
        Dtype dtype = dtypes.get(name);
        ByteBuffer src = map(t);
        Shape shape = new Shape(t.shape());
        int n = elementsFor(t, loadedWidth(dtype));
        // Always copy into a fresh native buffer: PyTorch aliases direct buffers, and aliasing the
        // read-only mapping would make any in-place weight edit crash the JVM.
        switch (dtype) {
            case F32, F16, BF16, F64 -> {
                ByteBuffer out = manager.allocateDirect(n * 4);
                decodeFloats(t, dtype, src, out.asFloatBuffer());
                return manager.create(out, shape, DataType.FLOAT32);
            }
            case I64 -> {
                ByteBuffer out = manager.allocateDirect(n * 8);
                out.asLongBuffer().put(src.asLongBuffer());
                return manager.create(out, shape, DataType.INT64);
            }
            case I32 -> {
                ByteBuffer out = manager.allocateDirect(n * 4);
                out.asIntBuffer().put(src.asIntBuffer());
                return manager.create(out, shape, DataType.INT32);
            }
            case I16, U16 -> {
                // Widened: int32 is the narrowest signed type every engine handles.
                ByteBuffer out = manager.allocateDirect(n * 4);
                ShortBuffer s = src.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    short v = s.get(i);
                    out.putInt(i * 4, dtype == Dtype.U16 ? v & 0xFFFF : v);
                }
                return manager.create(out, shape, DataType.INT32);
            }
            case U32 -> {
                ByteBuffer out = manager.allocateDirect(n * 8);
                for (int i = 0; i < n; i++) {
                    out.putLong(i * 8, src.getInt(i * 4) & 0xFFFFFFFFL);
                }
                return manager.create(out, shape, DataType.INT64);
            }
            case I8, U8, BOOL -> {
                ByteBuffer out = manager.allocateDirect(n);
                out.put(src).rewind();
                DataType dt = dtype == Dtype.I8 ? DataType.INT8 : dtype == Dtype.U8 ? DataType.UINT8 : DataType.BOOLEAN;
                return manager.create(out, shape, dt);
            }
            default -> throw error(name, "loading dtype " + dtype + " is not supported");
        }
    }

    @Override
    public float[] loadFloats(String name) throws IOException {
        TensorInfo t = info(name);
        Dtype dtype = dtypes.get(name);
        ByteBuffer src = map(t);
        float[] out = new float[elementsFor(t, 4)];
        if (dtype.isFloat()) {
            decodeFloats(t, dtype, src, FloatBuffer.wrap(out));
            return out;
        }
        // Integer tensors (token ids, position tables) converted for inspection; I64 and U64 lose
        // precision above 2^24, which tests and tools can live with.
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case BOOL, U8 -> src.get(i) & 0xFF;
                case I8 -> src.get(i);
                case I16 -> src.getShort(i * 2);
                case U16 -> src.getShort(i * 2) & 0xFFFF;
                case I32 -> src.getInt(i * 4);
                case U32 -> src.getInt(i * 4) & 0xFFFFFFFFL;
                case I64 -> src.getLong(i * 8);
                case U64 -> unsignedToFloat(src.getLong(i * 8));
                default -> throw error(name, "converting dtype " + dtype + " to float is not supported");
            };
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        closed = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + label + ", " + tensors.size() + " tensors]";
    }

    // ---------------------------------------------------------------------------------------------

    private ByteBuffer map(TensorInfo t) throws IOException {
        if (closed) {
            throw new IllegalStateException(label + ": file is closed (loading tensor '" + t.name() + "')");
        }
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw error(t.name(), "is " + t.byteLength() + " bytes; a single tensor of 2 GiB or more "
                    + "cannot be mapped in one piece and is not supported");
        }
        if (t.byteLength() == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        return channel.map(FileChannel.MapMode.READ_ONLY, t.offset(), t.byteLength())
                .order(ByteOrder.LITTLE_ENDIAN);
    }

    private static int loadedWidth(Dtype dtype) {
        return switch (dtype) {
            case I64, U32, U64 -> 8;
            case I8, U8, BOOL, F8_E4M3, F8_E5M2 -> 1;
            default -> 4;
        };
    }

    /** Element count, after checking the converted result still fits one Java buffer. */
    private int elementsFor(TensorInfo t, int outBytesPerElement) throws SafetensorsFormatException {
        long n = t.elementCount();
        if (n * outBytesPerElement > Integer.MAX_VALUE - 8) {
            throw error(t.name(), "has " + n + " elements; converted to " + outBytesPerElement
                    + "-byte values it would exceed 2 GiB, which is not supported");
        }
        return (int) n;
    }

    private void decodeFloats(TensorInfo t, Dtype dtype, ByteBuffer src, FloatBuffer dst)
            throws SafetensorsFormatException {
        switch (dtype) {
            case F32 -> dst.put(src.asFloatBuffer());
            case F64 -> {
                DoubleBuffer d = src.asDoubleBuffer();
                while (d.hasRemaining()) {
                    dst.put((float) d.get());
                }
            }
            case F16 -> {
                ShortBuffer s = src.asShortBuffer();
                while (s.hasRemaining()) {
                    dst.put(Halfs.f16ToFloat(s.get()));
                }
            }
            case BF16 -> {
                ShortBuffer s = src.asShortBuffer();
                while (s.hasRemaining()) {
                    dst.put(Halfs.bf16ToFloat(s.get()));
                }
            }
            default -> throw error(t.name(), "dtype " + dtype + " is not a float type");
        }
    }

    private static float unsignedToFloat(long v) {
        return v >= 0 ? v : ((v >>> 1) | (v & 1)) * 2f;
    }

    private ByteBuffer readFully(long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int r = channel.read(buf, position + buf.position());
            if (r < 0) {
                throw new EOFException(label + ": unexpected end of file at byte " + (position + buf.position()));
            }
        }
        return buf.flip();
    }

    private JsonObject parseHeader(ByteBuffer raw) throws SafetensorsFormatException {
        String text;
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(raw);
            text = chars.toString();
        } catch (CharacterCodingException e) {
            throw error("header is not valid UTF-8", e);
        }
        try {
            JsonElement root = JsonParser.parseString(text);
            if (!root.isJsonObject()) {
                throw error("header is not a JSON object");
            }
            return root.getAsJsonObject();
        } catch (JsonParseException e) {
            throw error("header is not valid JSON: " + e.getMessage(), e);
        }
    }

    private void parseMetadata(JsonElement value, Map<String, String> into) throws SafetensorsFormatException {
        if (value.isJsonNull()) {
            return;
        }
        if (!value.isJsonObject()) {
            throw error(METADATA_KEY + " is not a JSON object");
        }
        for (Map.Entry<String, JsonElement> m : value.getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive()) {
                throw error(METADATA_KEY + " entry '" + m.getKey() + "' is not a string");
            }
            into.put(m.getKey(), m.getValue().getAsString());
        }
    }

    private record ParsedEntry(Dtype dtype, long[] shape, long begin, long end) {}

    private ParsedEntry parseEntry(String name, JsonElement value, long dataSize) throws SafetensorsFormatException {
        if (!value.isJsonObject()) {
            throw error(name, "header entry is not a JSON object");
        }
        JsonObject o = value.getAsJsonObject();
        JsonElement dt = o.get("dtype");
        if (dt == null || !dt.isJsonPrimitive() || !dt.getAsJsonPrimitive().isString()) {
            throw error(name, "has no string 'dtype'");
        }
        Dtype dtype = Dtype.parse(dt.getAsString()).orElseThrow(() -> error(name,
                "has unknown dtype '" + dt.getAsString() + "' (known: " + Dtype.known() + ")"));
        long[] shape = longArray(name, o.get("shape"), "shape", -1);
        long[] offsets = longArray(name, o.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw error(name, "has data_offsets [" + begin + ", " + end + "] with begin after end");
        }
        if (end > dataSize) {
            throw error(name, "has data_offsets [" + begin + ", " + end + "] beyond the data region of "
                    + dataSize + " bytes (truncated file?)");
        }
        long expected;
        try {
            expected = dtype.bytes;
            for (long d : shape) {
                expected = Math.multiplyExact(expected, d);
            }
        } catch (ArithmeticException ex) {
            throw error(name, "declares shape " + Arrays.toString(shape) + " whose byte size overflows");
        }
        if (expected != end - begin) {
            throw error(name, "declares shape " + Arrays.toString(shape) + " (" + dtype + ", " + expected
                    + " bytes) but data_offsets span " + (end - begin) + " bytes");
        }
        return new ParsedEntry(dtype, shape, begin, end);
    }

    private long[] longArray(String name, JsonElement e, String field, int requiredLength)
            throws SafetensorsFormatException {
        if (e == null || !e.isJsonArray()) {
            throw error(name, "has no '" + field + "' array");
        }
        JsonArray a = e.getAsJsonArray();
        if (requiredLength >= 0 && a.size() != requiredLength) {
            throw error(name, "'" + field + "' has " + a.size() + " entries, expected " + requiredLength);
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement v = a.get(i);
            try {
                JsonPrimitive p = v.getAsJsonPrimitive();
                if (!p.isNumber()) {
                    throw new NumberFormatException();
                }
                out[i] = new BigDecimal(p.getAsString()).longValueExact();
            } catch (RuntimeException ex) {
                throw error(name, "'" + field + "' entry " + v + " is not an integer");
            }
            if (out[i] < 0) {
                throw error(name, "'" + field + "' entry " + out[i] + " is negative");
            }
        }
        return out;
    }

    private SafetensorsFormatException error(String problem) {
        return new SafetensorsFormatException(label + ": " + problem);
    }

    private SafetensorsFormatException error(String problem, Throwable cause) {
        return new SafetensorsFormatException(label + ": " + problem, cause);
    }

    private SafetensorsFormatException error(String tensor, String problem) {
        return new SafetensorsFormatException(label + ": tensor '" + tensor + "' " + problem);
    }

    /** Message for a missing name; shows a few real names because the usual cause is a prefix mismatch. */
    static String missing(String where, String name, Set<String> have) {
        String sample = have.stream().limit(5).map(s -> "'" + s + "'").collect(Collectors.joining(", "));
        return where + ": no tensor '" + name + "' (have " + have.size() + " tensors"
                + (have.isEmpty() ? ")" : ", e.g. " + sample + (have.size() > 5 ? ", ...)" : ")"));
    }
}
