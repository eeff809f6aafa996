package dev.emend.core.safetensors;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights load in their stored dtype: whole (one copy-on-write mapping), in pieces of rows (the
 * path a tensor over 1 GiB takes; here forced with a tiny piece size) and from misaligned bytes
 * must all give the same array, and none of them may ever write to the file.
 */
class SafetensorsStoredDtypeTest {

    @TempDir
    Path dir;

    /** 7 x 5 BF16 values after a 1-element BF16 tensor, so "m" starts 2 bytes past an 8-byte boundary. */
    private Path bf16File(short[] m) throws IOException {
        Path file = dir.resolve("bf16.safetensors");
        ByteBuffer data = ByteBuffer.allocate(2 + m.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort(Halfs.floatToBf16(3f));
        for (short v : m) {
            data.putShort(v);
        }
        SafetensorsTestFiles.write(file, "{\"one\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]},"
                + "\"m\":{\"dtype\":\"BF16\",\"shape\":[7,5],\"data_offsets\":[2," + (2 + m.length * 2) + "]}}", data.array());
        return file;
    }

    @Test
    void wholePiecewiseAndMisalignedLoadsAgreeAndKeepBf16() throws IOException {
        Random rnd = new Random(5);
        short[] bits = new short[35];
        float[] expected = new float[35];
        for (int i = 0; i < bits.length; i++) {
            bits[i] = Halfs.floatToBf16((float) rnd.nextGaussian());
            expected[i] = Halfs.bf16ToFloat(bits[i]);
        }
        Path file = bf16File(bits);
        byte[] before = Files.readAllBytes(file);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            NDArray whole = f.load("m", m);
            // 3 rows of 10 bytes per piece: pieces of 3, 3 and 1 rows.
            NDArray pieces = f.load("m", m, 30, 30);
            NDArray one = f.load("one", m);
            for (NDArray a : new NDArray[] {whole, pieces}) {
                assertEquals(DataType.FLOAT16, a.getDataType());
                assertEquals(new Shape(7, 5), a.getShape());
                assertArrayEquals(expected, a.toType(DataType.FLOAT32, false).toFloatArray());
            }
            assertEquals(3f, one.toType(DataType.FLOAT32, false).getFloat());
            try (SafetensorsFile readOnce = SafetensorsFile.open(file, false)) {
                NDArray copied = readOnce.load("m", m);
                assertEquals(DataType.FLOAT16, copied.getDataType());
                assertArrayEquals(expected, copied.toType(DataType.FLOAT32, false).toFloatArray());
            }
            // In-place writes land in private copies of the pages, never in the file.
            whole.muli(0);
            pieces.muli(0);
            assertArrayEquals(expected, f.loadFloats("m"));
        }
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    /** Every one of the 65,536 BF16 bit patterns against the rule SafetensorsFile documents. */
    @Test
    void bf16ToF16IsExactInRangeRoundsTinyAndRejectsHuge() {
        int exact = 0;
        for (int bits = 0; bits < 0x10000; bits++) {
            float v = Halfs.bf16ToFloat((short) bits);
            float a = Math.abs(v);
            if (!Float.isNaN(v) && !Float.isInfinite(v) && a > 65504f) {
                short b = (short) bits;
                assertThrows(Halfs.Overflow.class, () -> Halfs.bf16ToF16(b), "bits " + bits);
                continue;
            }
            float back = Halfs.f16ToFloat(Halfs.bf16ToF16((short) bits));
            if (Float.isNaN(v)) {
                assertTrue(Float.isNaN(back), "bits " + bits);
            } else if (a == 0f || a >= 0x1p-17f) {
                assertEquals(Float.floatToIntBits(v), Float.floatToIntBits(back), "bits " + bits + " value " + v);
                exact++;
            } else {
                assertTrue(Math.abs(back - v) <= 0x1p-25f, "bits " + bits + " value " + v + " became " + back);
            }
        }
        // 33 binades (2^-17 .. 2^15) x 128 mantissas x 2 signs, plus the two zeros and two infinities.
        assertEquals(33 * 128 * 2 + 4, exact);
    }

    @Test
    void bf16TensorBeyondFloat16RangeIsWidenedExactly() throws IOException {
        Path file = dir.resolve("huge.safetensors");
        byte[] data = SafetensorsTestFiles.u16(Halfs.floatToBf16(1e6f) & 0xFFFF, Halfs.floatToBf16(-0.5f) & 0xFFFF);
        SafetensorsTestFiles.write(file, "{\"h\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", data);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            NDArray h = f.load("h", m);
            assertEquals(DataType.FLOAT32, h.getDataType());
            assertArrayEquals(f.loadFloats("h"), h.toFloatArray());
        }
    }

    @Test
    void misalignedF32IsCopiedNotMapped() throws IOException {
        Path file = dir.resolve("odd.safetensors");
        float[] v = {1.5f, -2f, 0.25f, 8f, 1e-3f, -7f};
        // One U8 byte first puts the F32 tensor at an odd offset.
        byte[] data = new byte[1 + 24];
        data[0] = 9;
        System.arraycopy(SafetensorsTestFiles.f32(v), 0, data, 1, 24);
        SafetensorsTestFiles.write(file, "{\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[3,2],\"data_offsets\":[1,25]}}", data);
        try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
            NDArray whole = f.load("w", m);
            NDArray pieces = f.load("w", m, 8, 8);
            assertArrayEquals(v, whole.toFloatArray());
            assertArrayEquals(v, pieces.toFloatArray());
            assertEquals(new Shape(3, 2), pieces.getShape());
        }
    }
}
