package dev.emend.core.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
 * beyond 2 GiB. Loads may run concurrently from several threads (each reads through its own
 * buffers); {@link #close()} must not race
 * with them. {@link #load} keeps the stored dtype wherever the engine has it (F16, BF16, F32, F64 and
 * the integer types), so a bf16 checkpoint costs its own bytes, not twice them; I16/U16 widen to
 * int32 and U32 to int64. {@link #loadFloats} converts any type to float32 on the Java heap.
 */
public final class SafetensorsFile implements TensorSource {

    /** Same ceiling as the reference implementation; a larger header means a corrupt length prefix. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    static final String METADATA_KEY = "__metadata__";

    /** Largest tensor handed to the engine as one mapping; bigger ones are read in pieces of rows. */
    static final long MAX_MAPPED_BYTES = 1L << 30;

    /** Bytes read (and converted) at a time when a tensor is read rather than mapped. */
    static final long READ_PIECE_BYTES = 8L << 20;

    private final Path path;
    private final String label;
    private final FileChannel channel;
    private final long fileSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, Dtype> dtypes;
    private final Map<String, String> metadata;
    private volatile boolean closed;
    private final boolean mapPrivately;
    private boolean cowTried;
    /** Per loading thread: the two read buffers of {@link #readInPieces}, reused across tensors. */
    private final ThreadLocal<ByteBuffer[]> scratch = ThreadLocal.withInitial(() -> new ByteBuffer[2]);
    private FileChannel cowChannel;

    private SafetensorsFile(Path path, FileChannel channel, boolean mapPrivately) throws IOException {
        this.path = path;
        this.mapPrivately = mapPrivately;
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
        return open(path, true);
    }

    /** {@link #open(Path)}; with {@code mapPrivately} false, CPU loads read once instead of mapping (for tests). */
    static SafetensorsFile open(Path path, boolean mapPrivately) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new SafetensorsFile(path, ch, mapPrivately);
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
        return load(name, manager, MAX_MAPPED_BYTES, READ_PIECE_BYTES);
    }

    /** {@link #load(String, NDManager)} with smaller limits, so tests reach the piecewise paths. */
    NDArray load(String name, NDManager manager, long mappedLimit, long readPiece) throws IOException {
        TensorInfo t = info(name);
        Dtype dtype = dtypes.get(name);
        Shape shape = new Shape(t.shape());
        if (dtype == Dtype.BF16) {
            return loadBf16(t, shape, manager, readPiece);
        }
        DataType asStored = dtype.engineType();
        if (asStored != null) {
            return loadAsStored(t, asStored, shape, manager, mappedLimit, readPiece);
        }
        ByteBuffer src = map(t);
        int n = elementsFor(t, loadedWidth(dtype));
        switch (dtype) {
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
            default -> throw error(name, "loading dtype " + dtype + " is not supported");
        }
    }

    /**
     * A tensor whose stored dtype the engine has, without conversion. On the CPU the array aliases a
     * copy-on-write ({@code MapMode.PRIVATE}) mapping of the file: no copy is made, the pages are
     * the page cache's until something writes them, and an in-place write (which the base weights
     * never get, but a bug must not crash the JVM) copies just the touched page and never reaches
     * the file. Where the file cannot be opened for writing (which Java requires of a private
     * mapping) the array is filled by reading. On a GPU the engine copies the mapped bytes to
     * device memory. A tensor larger than {@code mappedLimit}, or whose bytes are not aligned to
     * its element width (vectorised kernels may assume aligned elements), is read in pieces of whole
     * rows into an engine-allocated array, so no per-tensor size limit remains.
     */
    private NDArray loadAsStored(TensorInfo t, DataType type, Shape shape, NDManager manager, long mappedLimit,
            long readPiece) throws IOException {
        boolean aligned = t.offset() % type.getNumOfBytes() == 0;
        if (t.byteLength() <= mappedLimit && aligned && t.byteLength() > 0) {
            if (manager.getDevice().isGpu()) {
                return manager.create(map(t), shape, type);
            }
            FileChannel cow = copyOnWriteChannel();
            if (cow != null) {
                return manager.create(cow.map(FileChannel.MapMode.PRIVATE, t.offset(), t.byteLength())
                        .order(ByteOrder.LITTLE_ENDIAN), shape, type);
            }
        }
        return readInPieces(t, shape, type, manager, readPiece, null);
    }

    /**
     * BF16, which the PyTorch engine of DJL 0.36 cannot hold (its JNI maps no bfloat16 type: creating
     * or casting to one aborts the process), becomes FLOAT16: the same two bytes per weight, and
     * exact for every value whose magnitude lies between 2^-17 and 65504 (fp16 has 3 more mantissa
     * bits, 3 fewer exponent bits). Smaller magnitudes round to the nearest multiple of 2^-24 (an
     * absolute error of at most 2^-25, about 3e-8, against weights of order 1e-2). A tensor with a
     * magnitude above 65504, which fp16 cannot hold, is widened to FLOAT32 instead, exactly.
     */
    private NDArray loadBf16(TensorInfo t, Shape shape, NDManager manager, long readPiece) throws IOException {
        try {
            return readInPieces(t, shape, DataType.FLOAT16, manager, readPiece, Halfs::bf16ToF16Bits);
        } catch (Halfs.Overflow overflow) {
            return readInPieces(t, shape, DataType.FLOAT32, manager, readPiece, null);
        }
    }

    /** Converts {@code count} stored elements of {@code src} into {@code dst}. */
    @FunctionalInterface
    private interface PieceConverter {
        void convert(ShortBuffer src, ShortBuffer dst, int count);
    }

    /**
     * Reads a tensor in pieces of whole rows into one array the engine allocates (native memory,
     * not the JVM's direct-buffer allowance), through two reused buffers of at most {@code readPiece}
     * bytes. Without a converter the bytes are copied as they are (stored and engine types equal);
     * with one, 2-byte stored elements become 2-byte FLOAT16 elements; a FLOAT32 target without a
     * converter widens BF16 (the overflow fallback).
     */
    private NDArray readInPieces(TensorInfo t, Shape shape, DataType type, NDManager manager,
            long readPiece, PieceConverter converter) throws IOException {
        Dtype stored = dtypes.get(t.name());
        boolean widen = stored == Dtype.BF16 && type == DataType.FLOAT32;
        boolean convert = converter != null || widen;
        int outWidth = type.getNumOfBytes();
        long count = t.elementCount();
        if (count == 0) {
            return manager.create(shape, type);
        }
        long rows = shape.dimension() == 0 ? 1 : shape.get(0);
        long perRow = count / rows;
        long rowBytes = perRow * Math.max(stored.bytes, outWidth);
        if (rowBytes > Integer.MAX_VALUE - 8) {
            throw error(t.name(), "has rows of " + rowBytes + " bytes; one row must fit in 2 GiB to be read");
        }
        long rowsPerPiece = Math.max(1, Math.min(rows, readPiece / rowBytes));
        ByteBuffer src = scratch(0, rowsPerPiece * perRow * stored.bytes);
        ByteBuffer dst = convert ? scratch(1, rowsPerPiece * perRow * outWidth) : src;
        // The engine allocates the array (native memory, not the JVM's direct-buffer allowance);
        // pieces are copied in through the two reused scratch buffers.
        NDArray out = manager.create(shape, type);
        for (long from = 0; from < rows; from += rowsPerPiece) {
            long to = Math.min(rows, from + rowsPerPiece);
            int n = Math.toIntExact((to - from) * perRow);
            src.clear().limit(n * stored.bytes);
            readFully(t, src, t.offset() + from * perRow * stored.bytes);
            src.flip();
            if (widen) {
                Halfs.bf16ToFloats(src.asShortBuffer(), dst.clear().asFloatBuffer(), n);
            } else if (converter != null) {
                converter.convert(src.asShortBuffer(), dst.clear().asShortBuffer(), n);
            }
            dst.position(0).limit(n * outWidth);
            long[] pieceShape = shape.getShape();
            if (pieceShape.length == 0) {
                out.set(dst.slice().order(ByteOrder.LITTLE_ENDIAN));
                break;
            }
            pieceShape[0] = to - from;
            try (NDArray piece = manager.create(dst.slice().order(ByteOrder.LITTLE_ENDIAN), new Shape(pieceShape), type)) {
                out.set(new NDIndex("{}:{}", from, to), piece);
            }
        }
        return out;
    }

    /** Reused read buffer {@code which} (0 or 1) of at least {@code bytes}. */
    private ByteBuffer scratch(int which, long bytes) {
        ByteBuffer[] mine = scratch.get();
        ByteBuffer b = mine[which];
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
            mine[which] = b;
        }
        return b.clear();
    }

    private void readFully(TensorInfo t, ByteBuffer into, long offset) throws IOException {
        if (closed) {
            throw new IllegalStateException(label + ": file is closed (loading tensor '" + t.name() + "')");
        }
        int start = into.position();
        while (into.hasRemaining()) {
            int r = channel.read(into, offset + into.position() - start);
            if (r < 0) {
                throw new EOFException(label + ": unexpected end of file reading tensor '" + t.name() + "'");
            }
        }
    }

    /**
     * A read-write channel for copy-on-write mappings (Java maps {@code PRIVATE} only from a channel
     * opened for writing, although nothing is ever written to the file through it), or null where
     * the file cannot be opened so (read-only file system or permissions): tensors are then read
     * once into fresh native memory instead.
     */
    private synchronized FileChannel copyOnWriteChannel() {
        if (closed) {
            throw new IllegalStateException(label + ": file is closed");
        }
        if (!cowTried) {
            cowTried = true;
            if (mapPrivately) {
                try {
                    cowChannel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
                } catch (IOException | UnsupportedOperationException | SecurityException e) {
                    cowChannel = null;
                }
            }
        }
        return cowChannel;
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
        // Mappings made through either channel stay valid after it closes.
        synchronized (this) {
            if (cowChannel != null) {
                cowChannel.close();
            }
        }
        channel.close();
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + label + ", " + tensors.size() + " tensors]";
    }

    // ---------------------------------------------------------------------------------------------

    private ByteBuffer map(TensorInfo t) throws IOException {
        return map(t, FileChannel.MapMode.READ_ONLY);
    }

    private ByteBuffer map(TensorInfo t, FileChannel.MapMode mode) throws IOException {
        if (t.byteLength() > Integer.MAX_VALUE) {
            throw error(t.name(), "is " + t.byteLength() + " bytes; a single mapping of 2 GiB or more "
                    + "is not possible for this dtype");
        }
        return map(t, t.offset(), t.byteLength(), mode);
    }

    private ByteBuffer map(TensorInfo t, long offset, long length, FileChannel.MapMode mode) throws IOException {
        if (closed) {
            throw new IllegalStateException(label + ": file is closed (loading tensor '" + t.name() + "')");
        }
        if (length == 0) {
            return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        return channel.map(mode, offset, length).order(ByteOrder.LITTLE_ENDIAN);
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
