package dev.emend.core.safetensors;

import static dev.emend.core.safetensors.SafetensorsTestFiles.f32;
import static dev.emend.core.safetensors.SafetensorsTestFiles.u16;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading hand-built files, including every kind of corruption the reader must reject clearly. */
class SafetensorsFileTest {

    @TempDir
    Path dir;

    @Test
    void readsHandBuiltF16() throws IOException {
        Path file = dir.resolve("half.safetensors");
        int[] bits = {
            0x3C00, 0xC000, 0x3555, 0x7BFF, 0x0001,
            0x0400, 0x8000, 0x7C00, 0xFC00, 0x7E00,
        };
        float[] expected = {
            1f, -2f, 0.333251953125f, 65504f, 0x1p-24f,
            0x1p-14f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        };
        // An I64 tensor after an odd-sized F16 one also exercises unaligned data offsets.
        byte[] ids = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(-1).array();
        byte[] tiny = u16(0x3800);
        byte[] data = concat(u16(bits), tiny, ids);
        SafetensorsTestFiles.write(file, "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[2,5],\"data_offsets\":[0,20]},"
                + "\"t\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[20,22]},"
                + "\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[22,38]}}", data);

        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertArrayEquals(expected, f.loadFloats("h"));
            assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(f.loadFloats("h")[6]));
            NDArray h = f.load("h", m);
            // Kept in its stored dtype; the engine's widening agrees with ours bit for bit.
            assertEquals(DataType.FLOAT16, h.getDataType());
            assertEquals(new Shape(2, 5), h.getShape());
            assertArrayEquals(expected, h.toType(DataType.FLOAT32, false).toFloatArray());
            assertArrayEquals(new float[] {0.5f}, f.loadFloats("t"));
            NDArray idArray = f.load("ids", m);
            assertEquals(DataType.INT64, idArray.getDataType());
            assertArrayEquals(new long[] {7, -1}, idArray.toLongArray());
            TensorInfo info = f.info("ids");
            assertEquals(16, info.byteLength());
            assertEquals(Files.size(file) - 16, info.offset());
        }
    }

    @Test
    void f16ConversionMatchesAllHalfValues() {
        // Reference: decode by arithmetic (independent of the bit-shuffling implementation).
        for (int h = 0; h < 0x10000; h++) {
            int exp = (h >>> 10) & 0x1F;
            int mant = h & 0x3FF;
            double sign = (h & 0x8000) != 0 ? -1 : 1;
            float actual = Halfs.f16ToFloat((short) h);
            if (exp == 0x1F) {
                assertTrue(mant == 0 ? Float.isInfinite(actual) : Float.isNaN(actual), "bits " + h);
                continue;
            }
            double ref = exp == 0 ? sign * mant * Math.pow(2, -24) : sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
            assertEquals((float) ref, actual, 0f, "bits " + Integer.toHexString(h));
        }
    }

    @Test
    void missingTensorNamesFileAndAlternatives() throws IOException {
        Path file = dir.resolve("one.safetensors");
        SafetensorsTestFiles.write(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.info("lm_head.weight"));
            assertEquals(file + ": no tensor 'lm_head.weight' (have 1 tensors, e.g. 'w')", e.getMessage());
        }
    }

    @Test
    void truncatedFileNamesTheTensorCutOff() throws IOException {
        Path file = dir.resolve("cut.safetensors");
        SafetensorsTestFiles.write(file, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]}}", f32(1, 2, 3, 4, 5, 6));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 5);
        }
        String msg = failure(file);
        assertTrue(msg.contains("tensor 'b.weight'") && msg.contains("truncated"), msg);
    }

    @Test
    void fileShorterThanLengthPrefix() throws IOException {
        Path file = dir.resolve("stub.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        String msg = failure(file);
        assertTrue(msg.contains("too short"), msg);
    }

    @Test
    void headerLengthLargerThanFile() throws IOException {
        Path file = dir.resolve("long.safetensors");
        SafetensorsTestFiles.writeRaw(file, 4096, "{}      ".getBytes(), new byte[0]);
        String msg = failure(file);
        assertTrue(msg.contains("header length 4096 exceeds the file size 16"), msg);
    }

    @Test
    void absurdHeaderLength() throws IOException {
        Path file = dir.resolve("absurd.safetensors");
        SafetensorsTestFiles.writeRaw(file, Long.MAX_VALUE, "{}      ".getBytes(), new byte[0]);
        assertTrue(failure(file).contains("implausible"));
    }

    @Test
    void offsetsOutsideDataRegion() throws IOException {
        Path file = dir.resolve("far.safetensors");
        SafetensorsTestFiles.write(file,
                "{\"emb\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[4096,4160]}}", f32(new float[16]));
        String msg = failure(file);
        assertTrue(msg.contains("tensor 'emb'") && msg.contains("[4096, 4160] beyond the data region of 64 bytes"), msg);
    }

    @Test
    void beginAfterEnd() throws IOException {
        Path file = dir.resolve("backwards.safetensors");
        SafetensorsTestFiles.write(file,
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", f32(0, 0, 0));
        String msg = failure(file);
        assertTrue(msg.contains("tensor 'w'") && msg.contains("begin after end"), msg);
    }

    @Test
    void unknownDtype() throws IOException {
        Path file = dir.resolve("odd.safetensors");
        SafetensorsTestFiles.write(file,
                "{\"q.weight\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", new byte[16]);
        String msg = failure(file);
        assertTrue(msg.contains("tensor 'q.weight' has unknown dtype 'F128'"), msg);
    }

    @Test
    void shapeDoesNotMatchByteSize() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafetensorsTestFiles.write(file,
                "{\"h.0.mlp.c_fc.weight\":{\"dtype\":\"F32\",\"shape\":[768,3072],\"data_offsets\":[0,100]}}",
                new byte[100]);
        assertEquals(file + ": tensor 'h.0.mlp.c_fc.weight' declares shape [768, 3072] (F32, 9437184 bytes)"
                + " but data_offsets span 100 bytes", failure(file));
    }

    @Test
    void malformedEntries() throws IOException {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsTestFiles.write(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", f32(1));
        assertTrue(failure(file).contains("tensor 'w' 'shape' entry -1 is negative"));
        SafetensorsTestFiles.write(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", f32(1));
        assertTrue(failure(file).contains("tensor 'w' 'data_offsets' has 1 entries, expected 2"));
        SafetensorsTestFiles.write(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", f32(1));
        assertTrue(failure(file).contains("tensor 'w' 'shape' entry 1.5 is not an integer"));
        SafetensorsTestFiles.write(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],", f32(1));
        assertTrue(failure(file).contains("header is not valid JSON"));
        SafetensorsTestFiles.write(file, "[1, 2]", f32(1));
        assertTrue(failure(file).contains("header is not a JSON object"));
    }

    @Test
    void closedFileRefusesLoads() throws IOException {
        Path file = dir.resolve("closed.safetensors");
        SafetensorsTestFiles.write(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1));
        SafetensorsFile f = SafetensorsFile.open(file);
        f.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.loadFloats("w"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'w'"));
    }

    private static String failure(Path file) {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> {
            try (SafetensorsFile ignored = SafetensorsFile.open(file)) {
                // opening alone must detect the problem
            }
        });
        assertTrue(e.getMessage().startsWith(file.toString() + ": "), e.getMessage());
        return e.getMessage();
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
