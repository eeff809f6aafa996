package dev.emend.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.emend.core.safetensors.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Half-precision checkpoints get the 1 MB mmap threshold, float32 ones the settings that keep freed memory (why: MallocSettings). */
class MallocSettingsTest {
    @TempDir
    Path tmp;

    private Path checkpoint(String name, SafetensorsWriter.Precision precision) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Map<String, SafetensorsWriter.FloatTensor> t = new LinkedHashMap<>();
        t.put("wte.weight", new SafetensorsWriter.FloatTensor(new float[] {1, 2, 3, 4, 5, 6}, new long[] {3, 2}));
        t.put("ln_f.bias", new SafetensorsWriter.FloatTensor(new float[] {0.5f, -0.5f}, new long[] {2}));
        SafetensorsWriter.writeFloats(dir.resolve("model.safetensors"), t, Map.of(), precision);
        return dir;
    }

    @Test
    void halfPrecisionCheckpointsGetTheFixedOneMegabyteThreshold() throws IOException {
        assertEquals(Map.of("MALLOC_MMAP_THRESHOLD_", "1048576"),
                MallocSettings.variables(checkpoint("bf16", SafetensorsWriter.Precision.BF16)));
    }

    @Test
    void float32CheckpointsKeepFreedMemoryForReuse() throws IOException {
        Map<String, String> keep = Map.of("MALLOC_MMAP_THRESHOLD_", "268435456", "MALLOC_TRIM_THRESHOLD_", "1073741824");
        assertEquals(keep, MallocSettings.variables(checkpoint("f32", SafetensorsWriter.Precision.F32)));
        Path shipped = Path.of("..", "models", "emend-facts"); // the default model, float32
        assertEquals(true, Files.isRegularFile(shipped.resolve("model.safetensors")), shipped.toAbsolutePath().toString());
        assertEquals(keep, MallocSettings.variables(shipped));
    }

    @Test
    void aDirectoryWithoutReadableWeightsGetsNothing() throws IOException {
        assertEquals(Map.of(), MallocSettings.variables(tmp.resolve("missing")));
        Path noWeights = Files.createDirectories(tmp.resolve("config-only"));
        Files.writeString(noWeights.resolve("config.json"), "{}");
        assertEquals(Map.of(), MallocSettings.variables(noWeights));
        assertEquals(Optional.empty(), MallocSettings.storesHalfPrecision(noWeights));
        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("model.safetensors"), "not a safetensors file");
        assertEquals(Map.of(), MallocSettings.variables(broken));
    }
}
