package dev.emend.core.runtime;

import dev.emend.core.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/**
 * The glibc malloc setting a process that holds a checkpoint should start with, decided by how the
 * checkpoint stores its weights.
 *
 * <p>Half-precision weights are converted to float32 piece by piece as each layer uses them. With
 * glibc's adaptive mmap threshold the freed 4–16 MB pieces stay in the heap: a 1B bf16 model grew
 * from 2.6 to 4.8 GB resident after one forward pass. A fixed 1 MB threshold
 * ({@value #HALF_PRECISION_MMAP_THRESHOLD}) maps such blocks and returns them on free
 * (BENCHMARKS.md, "Real checkpoints in their own dtype").
 *
 * <p>The same threshold maps every other array of 1 MB or more afresh as well, and each fresh mapping
 * is paid in page faults. For a float32 checkpoint nothing is converted, so there is nothing to win:
 * MEMIT's batch of 300 on the default model computed for 144 s through the stack with the threshold
 * and 95 s without it (z-step 103 s → 65 s; with it, 45 % of the edit thread's CPU time was system
 * time; BENCHMARKS.md, 2026-12-07). So the threshold is set only for half-precision checkpoints.
 */
public final class MallocSettings {
    /** glibc's environment variable for the mmap threshold (read once, at process start). */
    public static final String MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_";
    /** The threshold for a process holding half-precision weights: 1 MiB. */
    public static final String HALF_PRECISION_MMAP_THRESHOLD = "1048576";

    private static final Set<String> HALF_PRECISION = Set.of("F16", "BF16");

    private MallocSettings() {
    }

    /**
     * The {@value #MMAP_THRESHOLD_VARIABLE} for a process that loads {@code checkpoint}:
     * {@value #HALF_PRECISION_MMAP_THRESHOLD} when any of its safetensors tensors is F16 or BF16,
     * empty (glibc's adaptive default) otherwise, and also when the directory has no readable
     * weights (loading it will then fail with its own message).
     */
    public static Optional<String> mmapThreshold(Path checkpoint) {
        return storesHalfPrecision(checkpoint) ? Optional.of(HALF_PRECISION_MMAP_THRESHOLD) : Optional.empty();
    }

    /** Whether any tensor of the checkpoint's safetensors files is stored as F16 or BF16 (false when unreadable). */
    public static boolean storesHalfPrecision(Path checkpoint) {
        if (!Files.isDirectory(checkpoint)) {
            return false;
        }
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(checkpoint)) {
            return ckpt.names().stream().anyMatch(n -> HALF_PRECISION.contains(ckpt.info(n).dtype()));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
