package dev.emend.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.safetensors.SafetensorsWriter.FloatTensor;
import dev.emend.core.safetensors.SafetensorsWriter.Precision;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(7) - 3));
        }
        return v;
    }

    private static Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("emend.note", "edit <subject> & \"relation\" ünïcode");
        return m;
    }

    @Test
    void f32RoundTripIsExactAndKeepsOrderShapesAndMetadata() throws IOException {
        Path file = dir.resolve("model.safetensors");
        float[] v1 = random(7, 1);
        float[] v2 = random(12, 2);
        float[] v3 = random(24, 3);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("z.bias", m.create(v1));
            tensors.put("a.weight", m.create(v2, new Shape(3, 4)));
            tensors.put("m.cube", m.create(v3, new Shape(2, 3, 4)));
            tensors.put("scalar", m.create(2.5f));
            tensors.put("ids", m.create(new long[] {1, -2, 1L << 40}));
            tensors.put("half", m.create(new float[] {1, 2}).toType(DataType.FLOAT16, false));
            SafetensorsWriter.write(file, tensors, metadata(), Precision.F32);
        }

        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("z.bias", "a.weight", "m.cube", "scalar", "ids", "half"), List.copyOf(f.names()));
            assertEquals(metadata(), f.metadata());
            assertEquals("F32", f.info("a.weight").dtype());
            assertArrayEquals(new long[] {3, 4}, f.info("a.weight").shape());
            assertArrayEquals(new long[] {2, 3, 4}, f.info("m.cube").shape());
            assertArrayEquals(new long[] {}, f.info("scalar").shape());
            assertEquals(24 * 4, f.info("m.cube").byteLength());
            assertArrayEquals(v1, f.loadFloats("z.bias"));
            assertArrayEquals(v2, f.loadFloats("a.weight"));
            assertArrayEquals(v3, f.loadFloats("m.cube"));
            assertArrayEquals(new float[] {1, 2}, f.loadFloats("half"));

            NDArray cube = f.load("m.cube", m);
            assertEquals(new Shape(2, 3, 4), cube.getShape());
            assertEquals(DataType.FLOAT32, cube.getDataType());
            assertArrayEquals(v3, cube.toFloatArray());
            // The loaded array must own its memory: an in-place edit must neither crash nor touch the file.
            cube.addi(1f);
            assertArrayEquals(v3, f.loadFloats("m.cube"));

            NDArray scalar = f.load("scalar", m);
            assertEquals(new Shape(), scalar.getShape());
            assertEquals(2.5f, scalar.getFloat());

            NDArray ids = f.load("ids", m);
            assertEquals("I64", f.info("ids").dtype());
            assertEquals(DataType.INT64, ids.getDataType());
            assertArrayEquals(new long[] {1, -2, 1L << 40}, ids.toLongArray());
        }

        // The header is padded so that the data region starts 8-byte aligned.
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            assertEquals(0, b.flip().getLong() % 8);
        }
    }

    @Test
    void bf16RoundTripIsWithinRoundingAndHalvesTheData() throws IOException {
        Path file = dir.resolve("bf16.safetensors");
        float[] v = random(60, 4);
        v[0] = 1f;
        v[1] = -2.5f;
        v[2] = 0.15625f;
        v[3] = 0f;
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("w", m.create(v, new Shape(3, 4, 5)));
            tensors.put("b", m.create(new float[] {1, 2, 3}));
            SafetensorsWriter.write(file, tensors, Map.of("dtype", "bf16"), Precision.BF16);
        }
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            TensorInfo w = f.info("w");
            assertEquals("BF16", w.dtype());
            assertEquals(60 * 2, w.byteLength());
            assertEquals(Map.of("dtype", "bf16"), f.metadata());
            NDArray a = f.load("w", m);
            // Held as FLOAT16 (DJL's PyTorch engine has no bfloat16): exact for these magnitudes.
            assertEquals(DataType.FLOAT16, a.getDataType());
            assertEquals(new Shape(3, 4, 5), a.getShape());
            float[] back = a.toType(DataType.FLOAT32, false).toFloatArray();
            assertArrayEquals(f.loadFloats("w"), back);
            for (int i = 0; i < v.length; i++) {
                // BF16 keeps 8 significant bits, so an ulp is 2^-7 of the leading power of two and
                // round-to-nearest errs by at most half of it: under 2^-8 of the value itself.
                assertEquals(v[i], back[i], Math.abs(v[i]) * 0x1p-8f, "element " + i);
            }
            assertEquals(1f, back[0]);
            assertEquals(-2.5f, back[1]);
            assertEquals(0.15625f, back[2]);
            assertEquals(0f, back[3]);
            assertArrayEquals(new float[] {1, 2, 3}, f.loadFloats("b"));
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        // 1 + 2^-8 is exactly halfway between BF16 neighbours 1 and 1 + 2^-7: ties go to the even one (1).
        assertEquals(1f, Halfs.bf16ToFloat(Halfs.floatToBf16(1f + 0x1p-8f)));
        // Slightly above halfway rounds up rather than truncating.
        assertEquals(1f + 0x1p-7f, Halfs.bf16ToFloat(Halfs.floatToBf16(1f + 0x1p-8f + 0x1p-20f)));
        assertTrue(Float.isNaN(Halfs.bf16ToFloat(Halfs.floatToBf16(Float.NaN))));
        assertEquals(Float.NEGATIVE_INFINITY, Halfs.bf16ToFloat(Halfs.floatToBf16(Float.NEGATIVE_INFINITY)));
    }

    @Test
    void floatArrayOverloadAndAtomicReplace() throws IOException {
        Path file = dir.resolve("plain.safetensors");
        Map<String, FloatTensor> first = new LinkedHashMap<>();
        first.put("x", new FloatTensor(new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}));
        SafetensorsWriter.writeFloats(file, first, Map.of(), Precision.F32);

        Map<String, FloatTensor> second = new LinkedHashMap<>();
        second.put("y", new FloatTensor(new float[] {7, 8}, new long[] {2}));
        SafetensorsWriter.writeFloats(file, second, Map.of("v", "2"), Precision.F32);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("y"), List.copyOf(f.names()));
            assertArrayEquals(new float[] {7, 8}, f.loadFloats("y"));
            assertEquals(Map.of("v", "2"), f.metadata());
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "no temporary files left behind");
        }
        assertThrows(IllegalArgumentException.class,
                () -> new FloatTensor(new float[] {1, 2, 3}, new long[] {2, 2}));
    }
}
