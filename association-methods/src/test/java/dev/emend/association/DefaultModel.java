package dev.emend.association;

import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's default model (models/emend-facts), loaded once per JVM for the tests. */
public final class DefaultModel {
    private static LanguageModel lm;

    private DefaultModel() {
    }

    public static Path dir() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            Path m = p.resolve("models/emend-facts");
            if (Files.isRegularFile(m.resolve("config.json"))) {
                return m;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("models/emend-facts not found above " + Path.of("").toAbsolutePath());
    }

    public static synchronized LanguageModel get() {
        if (lm == null) {
            lm = Checkpoints.load(dir());
        }
        return lm;
    }
}
