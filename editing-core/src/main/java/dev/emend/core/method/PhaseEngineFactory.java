package dev.emend.core.method;

import dev.emend.core.edit.Phase;
import dev.emend.core.runtime.LanguageModel;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Builds a phase's engine outside its service (the CLI's {@code runtime-bench --edit}) and inside it alike, so that a
 * caller can run any method of that phase in-process knowing only its name. A method library
 * registers one in {@code META-INF/services/dev.emend.core.method.PhaseEngineFactory}.
 */
public interface PhaseEngineFactory {
    Phase phase();

    /**
     * An engine on {@code lm}, with per-model defaults for {@code modelName}; resources it caches on
     * disk (second-moment statistics, ...) go under {@code cacheDir}, computed when first needed from
     * {@code corpusFile} (one document a line) or, without one, from the text the phase finds beside
     * the model.
     */
    MethodPhaseEngine<?, ?> create(LanguageModel lm, String modelName, Path cacheDir, Optional<Path> corpusFile);

    /** The registered factory of {@code phase}, or an error naming the phase and what is missing. */
    static PhaseEngineFactory of(Phase phase) {
        for (PhaseEngineFactory f : ServiceLoader.load(PhaseEngineFactory.class)) {
            if (f.phase() == phase) {
                return f;
            }
        }
        throw new IllegalStateException("no engine factory for the " + phase.name().toLowerCase(Locale.ROOT)
                + " phase on the classpath (its method library registers one in META-INF/services/"
                + PhaseEngineFactory.class.getName() + ")");
    }
}
