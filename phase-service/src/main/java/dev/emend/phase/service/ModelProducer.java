package dev.emend.phase.service;

import dev.emend.core.runtime.Checkpoints;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.phase.config.PhaseConfig;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads the base model once per JVM. DJL reads its settings from system properties when the
 * engine starts, so they are set here (offline, thread counts) unless given on the command line.
 */
@ApplicationScoped
public class ModelProducer {

    @Produces
    @Singleton
    LanguageModel model(PhaseConfig config) {
        System.setProperty("ai.djl.offline", System.getProperty("ai.djl.offline", "true"));
        Path dir = resolve(config.modelPath());
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalStateException("emend.model.path=" + config.modelPath() + " resolves to " + dir
                    + ", which holds no config.json: point it at a Hugging Face checkpoint directory");
        }
        long t0 = System.nanoTime();
        LanguageModel lm = Checkpoints.load(dir);
        Log.infof("loaded %s (%s, %d layers) in %.1f s", dir, lm.family().name(), lm.config().numLayers(),
                (System.nanoTime() - t0) / 1e9);
        return lm;
    }

    void close(@Disposes LanguageModel lm) {
        lm.close();
    }

    /**
     * A relative path is tried against the working directory, then against the repository root
     * ({@code emend.repo.root}), then against the folders above the working directory. Shared by
     * every service that reads a configured path (models, demonstrations).
     */
    public static Path resolve(String path) {
        Path p = Path.of(path);
        if (p.isAbsolute() || Files.exists(p)) {
            return p.toAbsolutePath().normalize();
        }
        String root = System.getProperty("emend.repo.root");
        if (root != null && Files.exists(Path.of(root).resolve(p))) {
            return Path.of(root).resolve(p).toAbsolutePath().normalize();
        }
        // Walk up from the working directory: services started from their module folder.
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.exists(d.resolve(p))) {
                return d.resolve(p).normalize();
            }
        }
        return p.toAbsolutePath().normalize();
    }
}
