package dev.emend.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tensor whose bytes start past the 2 GiB mark, where int-indexed readers (DJL's own decoder,
 * a single {@code MappedByteBuffer} of the whole file) break. The 2.1 GiB padding tensor before it
 * is never written, so the file is sparse and needs almost no disk space.
 */
class SafetensorsSparseTest {

    @TempDir
    Path dir;

    @Test
    void readsTensorBeyondTwoGiB() throws IOException {
        Path file = dir.resolve("sparse.safetensors");
        long pad = (1L << 31) + (64L << 20);
        float[] tail = {3.25f, -1f, 0f, 1e-3f, 42f};
        String json = "{\"big.pad\":{\"dtype\":\"F32\",\"shape\":[" + pad / 4 + "],\"data_offsets\":[0," + pad + "]},"
                + "\"tail\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[" + pad + "," + (pad + 20) + "]}}";
        byte[] header = SafetensorsTestFiles.paddedHeader(json);
        long dataStart = 8 + header.length;

        long freeBefore = Files.getFileStore(dir).getUsableSpace();
        try {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                ch.write(prefix.flip(), 0);
                ch.write(ByteBuffer.wrap(header), 8);
                // Positioned write past the end leaves a hole instead of writing 2.1 GiB of zeros.
                ch.write(ByteBuffer.wrap(SafetensorsTestFiles.f32(tail)), dataStart + pad);
            }
            long freeAfter = Files.getFileStore(dir).getUsableSpace();
            assertEquals(dataStart + pad + 20, Files.size(file));
            assertTrue(freeBefore - freeAfter < (1L << 30),
                    "file system did not keep the file sparse: " + (freeBefore - freeAfter) + " bytes used");

            try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager()) {
                TensorInfo info = f.info("tail");
                assertTrue(info.offset() > (1L << 31), "tail must lie past 2 GiB, is at " + info.offset());
                assertEquals(pad, f.info("big.pad").byteLength());
                assertArrayEquals(tail, f.loadFloats("tail"));
                NDArray a = f.load("tail", m);
                assertEquals(new Shape(5), a.getShape());
                assertArrayEquals(tail, a.toFloatArray());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
