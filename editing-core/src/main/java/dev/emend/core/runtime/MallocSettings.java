package dev.emend.core.runtime;

import dev.emend.core.safetensors.SafetensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The glibc malloc settings a process that holds a checkpoint should start with, decided by how
 * the checkpoint stores its weights. glibc reads them once, at process start, so whoever starts
 * the process ({@code ./emend up}, a pod spec) sets them.
 *
 * <p>Half-precision weights are converted to float32 piece by piece as each layer uses them. With
 * glibc's adaptive mmap threshold the freed 4–16 MB pieces stay in the heap: a 1B bf16 model grew
 * from 2.6 to 4.8 GB resident after one forward pass. A fixed 1 MB threshold
 * ({@value #HALF_PRECISION_MMAP_THRESHOLD}) maps such blocks and returns them on free
 * (BENCHMARKS.md, "Real checkpoints in their own dtype").
 *
 * <p>For a float32 checkpoint nothing is converted, and the opposite is right: keep freed memory for
 * reuse. Editing allocates and frees activation arrays of a few MB to tens of MB at every step.
 * Under glibc's defaults those above its adaptive threshold (at most 32 MB) are mapped afresh each
 * time, and the heap's top is handed back to the kernel whenever more than twice the threshold is
 * free, so the next step pays page faults to get it back. A MEMIT batch of 1,000 on the default model
 * took 22.6 million minor page faults and 52 s of system time in-process; with a 256 MiB mmap threshold
 * ({@value #FLOAT32_MMAP_THRESHOLD}) and a 1 GiB trim threshold ({@value #FLOAT32_TRIM_THRESHOLD})
 * 1.8 million and 11 s, the batch 113 s → 90 s, peak RSS 2.71 → 2.82 GB; through the stack 126 s
 * → 107 s of compute (BENCHMARKS.md, 2026-12-07, session 14). Both are needed: either alone fixes the
 * other at glibc's default and faults as before. (The 1 MB threshold cost the same batch 1.5x:
 * BENCHMARKS.md, 2026-12-07, session 13.)
 */
public final class MallocSettings {
    /** glibc's environment variable for the mmap threshold (read once, at process start). */
    public static final String MMAP_THRESHOLD_VARIABLE = "MALLOC_MMAP_THRESHOLD_";
    /** glibc's environment variable for the trim threshold (read once, at process start). */
    public static final String TRIM_THRESHOLD_VARIABLE = "MALLOC_TRIM_THRESHOLD_";
    /** The mmap threshold for a process holding half-precision weights: 1 MiB. */
    public static final String HALF_PRECISION_MMAP_THRESHOLD = "1048576";
    /** The mmap threshold for a process holding float32 weights: 256 MiB. */
    public static final String FLOAT32_MMAP_THRESHOLD = "268435456";
    /** The trim threshold for a process holding float32 weights: 1 GiB. */
    public static final String FLOAT32_TRIM_THRESHOLD = "1073741824";

    private static final Set<String> HALF_PRECISION = Set.of("F16", "BF16");

    private MallocSettings() {
    }

    /**
     * The variables for a process that loads {@code checkpoint}: the 1 MiB mmap threshold when any
     * of its safetensors tensors is F16 or BF16; the 256 MiB mmap and 1 GiB trim thresholds when its
     * weights are readable and none is; nothing when the directory has no readable weights (loading
     * it will then fail with its own message).
     */
    public static Map<String, String> variables(Path checkpoint) {
        Optional<Boolean> half = storesHalfPrecision(checkpoint);
        if (half.isEmpty()) {
            return Map.of();
        }
        if (half.get()) {
            return Map.of(MMAP_THRESHOLD_VARIABLE, HALF_PRECISION_MMAP_THRESHOLD);
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put(MMAP_THRESHOLD_VARIABLE, FLOAT32_MMAP_THRESHOLD);
        v.put(TRIM_THRESHOLD_VARIABLE, FLOAT32_TRIM_THRESHOLD);
        return Collections.unmodifiableMap(v);
    }

    /** Whether any tensor of the checkpoint's safetensors files is stored as F16 or BF16; empty when unreadable. */
    public static Optional<Boolean> storesHalfPrecision(Path checkpoint) {
        if (!Files.isDirectory(checkpoint)) {
            return Optional.empty();
        }
        try (SafetensorsCheckpoint ckpt = SafetensorsCheckpoint.open(checkpoint)) {
            return Optional.of(ckpt.names().stream().anyMatch(n -> HALF_PRECISION.contains(ckpt.info(n).dtype())));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
