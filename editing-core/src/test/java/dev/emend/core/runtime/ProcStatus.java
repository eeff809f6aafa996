package dev.emend.core.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures of this process from /proc/self (Linux), for the memory tests and probes. */
final class ProcStatus {
    private ProcStatus() {
    }

    /** A kB field of /proc/self/status, e.g. "VmRSS" (resident now) or "VmHWM" (peak resident). */
    static long kb(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }

    /** Resets the peak (VmHWM) to the current resident size ("5" to clear_refs, Linux 4.0+). */
    static void resetPeak() throws IOException {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    }
}
