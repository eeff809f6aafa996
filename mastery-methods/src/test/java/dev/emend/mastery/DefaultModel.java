package dev.emend.mastery;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's default model ({@code models/emend-facts}), loaded from a module's test run. */
public final class DefaultModel {
    private DefaultModel() {
    }

    /** Loads it; the caller closes it. */
    public static LanguageModel load() {
        Path model = Path.of("").toAbsolutePath().getParent().resolve("models/emend-facts");
        assertTrue(Files.isDirectory(model), "default model at " + model);
        return Checkpoints.load(model);
    }
}
