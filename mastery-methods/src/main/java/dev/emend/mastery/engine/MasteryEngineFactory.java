package dev.emend.mastery.engine;

import dev.emend.core.edit.Phase;
import dev.emend.core.method.MethodPhaseEngine;
import dev.emend.core.method.PhaseEngineFactory;
import dev.emend.core.runtime.LanguageModel;
import dev.emend.mastery.stats.CovarianceCache;

import java.nio.file.Path;
import java.util.Optional;

/** The mastery engine as the service and the CLI build it: C cached under the cache directory, its corpus read lazily. */
public final class MasteryEngineFactory implements PhaseEngineFactory {
    @Override
    public Phase phase() {
        return Phase.MASTERY;
    }

    @Override
    public MethodPhaseEngine<?, ?> create(LanguageModel lm, String modelName, Path cacheDir, Optional<Path> corpusFile) {
        return new MasteryEngine(lm, modelName, new CovarianceCache(cacheDir), StatsCorpus.lazy(lm.directory(), corpusFile));
    }
}
