package dev.emend.mastery.config;

import dev.emend.core.edit.Phase;
import dev.emend.core.edit.PhaseEngine;
import dev.emend.core.method.PhaseEngineFactory;
import dev.emend.core.runtime.LanguageModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.Optional;

/** Wires the mastery engine into the shared Editor service (module phase-service). */
@ApplicationScoped
public class MasteryEngineProducer {
    @ConfigProperty(name = "emend.mastery.corpus")
    Optional<String> corpus;
    @ConfigProperty(name = "emend.mastery.stats-dir", defaultValue = ".cache/stats")
    String statsDir;
    @ConfigProperty(name = "emend.model.name")
    Optional<String> modelName;

    @Produces
    @Singleton
    PhaseEngine engine(LanguageModel lm) {
        String name = modelName.orElse(lm.directory().getFileName().toString());
        return PhaseEngineFactory.of(Phase.MASTERY).create(lm, name, Path.of(statsDir), corpus.map(Path::of));
    }
}
