package dev.emend.mastery.config;

import dev.emend.core.edit.PhaseEngine;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.engine.MasteryEngine;
import dev.emend.mastery.engine.StatsCorpus;
import dev.emend.mastery.stats.CovarianceCache;
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
        return new MasteryEngine(lm, name, new CovarianceCache(Path.of(statsDir)),
                StatsCorpus.lazy(lm.directory(), corpus.map(Path::of)));
    }
}
