package dev.emend.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.core.safetensors.SafetensorsWriter.FloatTensor;
import dev.emend.core.safetensors.SafetensorsWriter.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsCheckpointTest {

    @TempDir
    Path dir;

    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    private void writeShards() throws IOException {
        Map<String, FloatTensor> s1 = new LinkedHashMap<>();
        s1.put("wte.weight", new FloatTensor(new float[] {1, 2, 3, 4, 5, 6}, new long[] {3, 2}));
        s1.put("h.0.ln.bias", new FloatTensor(new float[] {0.5f, -0.5f}, new long[] {2}));
        SafetensorsWriter.writeFloats(dir.resolve(SHARD1), s1, Map.of("format", "pt"), Precision.F32);
        Map<String, FloatTensor> s2 = new LinkedHashMap<>();
        s2.put("h.1.attn.weight", new FloatTensor(new float[] {1, 0.5f, 0.25f, 2}, new long[] {1, 2, 2}));
        SafetensorsWriter.writeFloats(dir.resolve(SHARD2), s2, Map.of("format", "pt"), Precision.BF16);
    }

    private void writeIndex(String weightMap) throws IOException {
        Files.writeString(dir.resolve(SafetensorsCheckpoint.INDEX_FILE),
                "{\"metadata\":{\"total_size\":40},\"weight_map\":{" + weightMap + "}}");
    }

    private static String entry(String tensor, String shard) {
        return "\"" + tensor + "\":\"" + shard + "\"";
    }

    @Test
    void shardedIndexPresentsOneView() throws IOException {
        writeShards();
        writeIndex(String.join(",", entry("wte.weight", SHARD1), entry("h.0.ln.bias", SHARD1),
                entry("h.1.attn.weight", SHARD2)));
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("wte.weight", "h.0.ln.bias", "h.1.attn.weight"), List.copyOf(c.names()));
            assertEquals(Map.of("total_size", "40"), c.metadata());
            assertEquals(2, c.files().size());
            assertEquals(dir.resolve(SHARD2).toAbsolutePath().normalize(), c.fileOf("h.1.attn.weight"));
            assertEquals("BF16", c.info("h.1.attn.weight").dtype());
            NDArray wte = c.load("wte.weight", m);
            assertEquals(new Shape(3, 2), wte.getShape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, wte.toFloatArray());
            NDArray attn = c.load("h.1.attn.weight", m);
            assertEquals(new Shape(1, 2, 2), attn.getShape());
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT16, attn.getDataType());
            assertArrayEquals(new float[] {1, 0.5f, 0.25f, 2}, attn.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
            assertArrayEquals(new float[] {0.5f, -0.5f}, c.loadFloats("h.0.ln.bias"));

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.info("lm_head.weight"));
            assertEquals("checkpoint " + dir + ": no tensor 'lm_head.weight' (have 3 tensors, e.g. "
                    + "'wte.weight', 'h.0.ln.bias', 'h.1.attn.weight')", e.getMessage());
        }
    }

    @Test
    void singleFileCheckpoint() throws IOException {
        Map<String, FloatTensor> t = new LinkedHashMap<>();
        t.put("w", new FloatTensor(new float[] {9, 8}, new long[] {2}));
        SafetensorsWriter.writeFloats(dir.resolve(SafetensorsCheckpoint.SINGLE_FILE), t, Map.of("k", "v"), Precision.F32);
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(dir)) {
            assertEquals(List.of("w"), List.copyOf(c.names()));
            assertEquals(Map.of("k", "v"), c.metadata());
            assertArrayEquals(new float[] {9, 8}, c.loadFloats("w"));
        }
    }

    @Test
    void neitherFileExists() {
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertEquals("checkpoint " + dir + ": neither model.safetensors nor model.safetensors.index.json exists",
                e.getMessage());
    }

    @Test
    void indexNamesMissingShard() throws IOException {
        writeShards();
        writeIndex(String.join(",", entry("wte.weight", SHARD1), entry("lm_head.weight", "model-00003-of-00003.safetensors")));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().startsWith("checkpoint " + dir + ": model.safetensors.index.json"), e.getMessage());
        assertTrue(e.getMessage().contains("tensor 'lm_head.weight' to shard 'model-00003-of-00003.safetensors', which does not exist"),
                e.getMessage());
    }

    @Test
    void indexEntryAbsentFromShard() throws IOException {
        writeShards();
        writeIndex(entry("h.1.attn.weight", SHARD1));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("tensor 'h.1.attn.weight' to shard '" + SHARD1 + "', but that shard has no such tensor"),
                e.getMessage());
    }

    @Test
    void indexMayNotEscapeDirectory() throws IOException {
        writeShards();
        writeIndex(entry("wte.weight", "../elsewhere.safetensors"));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("outside the checkpoint directory"), e.getMessage());
    }

    @Test
    void corruptShardIsNamed() throws IOException {
        writeShards();
        Files.write(dir.resolve(SHARD2), new byte[] {0, 0});
        writeIndex(String.join(",", entry("wte.weight", SHARD1), entry("h.1.attn.weight", SHARD2)));
        SafetensorsFormatException e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains(SHARD2), e.getMessage());
    }
}
