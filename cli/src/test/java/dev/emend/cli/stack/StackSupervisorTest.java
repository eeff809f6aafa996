package dev.emend.cli.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StackSupervisorTest {
    @Test
    void restartRequestsAreConsumedOnce(@TempDir Path root) throws Exception {
        StackLayout layout = new StackLayout(root);
        Files.createDirectories(layout.control());
        Files.writeString(layout.control().resolve("restart-mastery-service"), "");
        Files.writeString(layout.control().resolve("notes.txt"), "not a request");
        assertEquals(List.of("mastery-service"), StackSupervisor.requestedRestarts(layout));
        assertFalse(Files.exists(layout.control().resolve("restart-mastery-service")));
        assertTrue(Files.exists(layout.control().resolve("notes.txt")));
        assertEquals(List.of(), StackSupervisor.requestedRestarts(layout));
    }

    @Test
    void servicesWriteReportsUnderDotEmend(@TempDir Path root) {
        StackLayout layout = new StackLayout(root);
        Map<String, String> env = StackSupervisor.environment(layout, StackLayout.service("evaluation"), "k".repeat(20));
        assertEquals(root.resolve(".emend/reports").toString(), env.get("EMEND_REPORTS_DIR"));
        assertEquals("8084", env.get("EMEND_PORT"));
    }

    @Test
    void phaseServicesLoadTheCheckpointNamedByEmendModel(@TempDir Path root) {
        StackLayout layout = new StackLayout(root);
        StackLayout.Service mastery = StackLayout.service("mastery");
        assertEquals(root.resolve("models/emend-facts").toString(),
                StackSupervisor.environment(layout, mastery, "k".repeat(20), Map.of()).get("EMEND_MODEL"));
        assertEquals("/models/Llama-3.2-1B",
                StackSupervisor.environment(layout, mastery, "k".repeat(20), Map.of("EMEND_MODEL", "/models/Llama-3.2-1B")).get("EMEND_MODEL"));
    }

    @Test
    void phaseServicesGetTheMallocSettingsOfTheCheckpointsDtype(@TempDir Path root) throws Exception {
        StackLayout layout = new StackLayout(root);
        Map<String, dev.emend.core.safetensors.SafetensorsWriter.FloatTensor> t = Map.of("wte.weight",
                new dev.emend.core.safetensors.SafetensorsWriter.FloatTensor(new float[] {1, 2, 3, 4}, new long[] {2, 2}));
        for (var precision : dev.emend.core.safetensors.SafetensorsWriter.Precision.values()) {
            Path dir = Files.createDirectories(root.resolve(precision.name()));
            dev.emend.core.safetensors.SafetensorsWriter.writeFloats(dir.resolve("model.safetensors"), t, Map.of(), precision);
        }
        String mmap = "MALLOC_MMAP_THRESHOLD_";
        String trim = "MALLOC_TRIM_THRESHOLD_";
        StackLayout.Service mastery = StackLayout.service("mastery");
        Map<String, String> bf16 = Map.of("EMEND_MODEL", root.resolve("BF16").toString());
        Map<String, String> env = StackSupervisor.environment(layout, mastery, "k".repeat(20), bf16);
        assertEquals("1048576", env.get(mmap));
        assertFalse(env.containsKey(trim), "half precision: freed conversions go back to the kernel");
        assertFalse(StackSupervisor.environment(layout, StackLayout.service("gateway"), "k".repeat(20), bf16).containsKey(mmap),
                "the gateway loads no model");
        env = StackSupervisor.environment(layout, mastery, "k".repeat(20), Map.of("EMEND_MODEL", root.resolve("F32").toString()));
        assertEquals("268435456", env.get(mmap), "float32: freed arrays are kept for reuse");
        assertEquals("1073741824", env.get(trim));
        // an exported value is the user's: the service inherits it, the supervisor adds neither
        for (String exported : List.of(mmap, trim)) {
            env = StackSupervisor.environment(layout, mastery, "k".repeat(20),
                    Map.of("EMEND_MODEL", root.resolve("F32").toString(), exported, "4194304"));
            assertFalse(env.containsKey(mmap) || env.containsKey(trim), exported + " exported");
        }
    }

    @Test
    void upMakesEmendModelAbsoluteAndRefusesADirectoryWithoutConfig(@TempDir Path dir) throws Exception {
        Path checkpoint = Files.createDirectories(dir.resolve("ckpt"));
        Files.writeString(checkpoint.resolve("config.json"), "{}");
        assertEquals(Optional.empty(), UpCommand.requestedModel(Map.of(), dir));
        assertEquals(Optional.of(checkpoint), UpCommand.requestedModel(Map.of("EMEND_MODEL", "ckpt"), dir));
        IllegalArgumentException noConfig = assertThrows(IllegalArgumentException.class,
                () -> UpCommand.requestedModel(Map.of("EMEND_MODEL", dir.toString()), dir));
        assertTrue(noConfig.getMessage().contains("has no config.json"), noConfig.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> UpCommand.requestedModel(Map.of("EMEND_MODEL", "nope"), dir));
        assertTrue(missing.getMessage().contains(dir.resolve("nope") + " is not a directory"), missing.getMessage());
    }

    @Test
    void serviceThreadsDefaultToHalfTheCoresAndRefuseNonsense() {
        assertEquals(1, StackSupervisor.serviceThreads(Map.of(), 2));
        assertEquals(4, StackSupervisor.serviceThreads(Map.of(), 8));
        assertEquals(1, StackSupervisor.serviceThreads(Map.of(), 1));
        assertEquals(2, StackSupervisor.serviceThreads(Map.of(StackSupervisor.THREADS_ENV, " 2 "), 2));
        for (String bad : List.of("0", "-1", "two", "1.5", "100000")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StackSupervisor.serviceThreads(Map.of(StackSupervisor.THREADS_ENV, bad), 2));
            assertTrue(e.getMessage().startsWith(StackSupervisor.THREADS_ENV + "=" + bad), e.getMessage());
        }
    }
}
