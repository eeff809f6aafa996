package dev.emend.association.config;

import dev.emend.association.engine.AssociationEngine;
import dev.emend.core.edit.PhaseEngine;
import dev.emend.core.runtime.LanguageModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.util.Optional;

/** Wires the association engine (GRACE, WISE, LoRA, AdaLoRA and any other plug-in) into the shared Editor service (module phase-service). */
@ApplicationScoped
public class AssociationEngineProducer {
    @ConfigProperty(name = "emend.model.name")
    Optional<String> modelName;

    @Produces
    @Singleton
    PhaseEngine engine(LanguageModel lm) {
        return new AssociationEngine(lm, modelName.orElse(lm.directory().getFileName().toString()));
    }
}
