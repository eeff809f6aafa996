package dev.emend.knowedit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Paths inside the directories resolve to their real file; everything else is refused with its kind and the field. */
class DatasetRootsTest {
    @TempDir
    Path base;

    @Test
    void confinesPathsToTheDirectories() throws Exception {
        Path data = Files.createDirectories(base.resolve("benchmarks/set"));
        Path inside = Files.writeString(data.resolve("a.json"), "[]");
        Path outside = Files.writeString(base.resolve("secret.json"), "[]");
        Files.createSymbolicLink(data.resolve("link.json"), outside);
        DatasetRoots roots = new DatasetRoots(base, List.of("benchmarks", " "), "my.dirs");
        assertEquals(List.of(base.toAbsolutePath().normalize().resolve("benchmarks")), roots.roots());
        assertEquals(inside.toRealPath(), roots.resolve("benchmarks/set/a.json", "f", ""));
        assertEquals(inside.toRealPath(), roots.resolve(inside.toString(), "f", ""));
        for (String p : List.of("secret.json", "benchmarks/../secret.json", "/etc/passwd", "benchmarks/set/link.json")) {
            DatasetRoots.Refused e = assertThrows(DatasetRoots.Refused.class, () -> roots.resolve(p, "train_files[0]", "or x"));
            assertEquals(DatasetRoots.Refusal.OUTSIDE, e.kind(), p);
            assertTrue(e.getMessage().startsWith("train_files[0]: '" + p + "' is outside the data set directories")
                    && e.getMessage().contains("(my.dirs); put the file in one of them, or x"), e.getMessage());
        }
        assertEquals(DatasetRoots.Refusal.NOT_FOUND, assertThrows(DatasetRoots.Refused.class,
                () -> roots.resolve("benchmarks/none.json", "f", "")).kind());
        assertEquals(DatasetRoots.Refusal.MALFORMED, assertThrows(DatasetRoots.Refused.class,
                () -> roots.resolve("benchmarks/set", "f", "")).kind());
        assertEquals(DatasetRoots.Refusal.MALFORMED, assertThrows(DatasetRoots.Refused.class,
                () -> roots.resolve("benchmarks/a\0b", "f", "")).kind());
    }
}
