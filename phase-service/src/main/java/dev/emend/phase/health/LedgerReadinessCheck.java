package dev.emend.phase.health;

import dev.emend.phase.service.EditQueue;
import dev.emend.phase.service.SpaceRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready = the base model is loaded and every space has been replayed from its ledger. */
@Readiness
@ApplicationScoped
public class LedgerReadinessCheck implements HealthCheck {
    @Inject
    SpaceRegistry registry;
    @Inject
    EditQueue queue;
    @Inject
    dev.emend.phase.config.PhaseConfig config;

    @Override
    public HealthCheckResponse call() {
        var b = HealthCheckResponse.named("model-and-ledger").status(registry.ready())
                .withData("phase", registry.engine().phase().name())
                .withData("model_fingerprint", registry.engine().model().fingerprint())
                .withData("edit_queue_length", queue.length())
                .withData("service_version", config.serviceVersion());
        if (!registry.ready()) {
            b.withData("problem", registry.readyProblem());
        } else {
            // name@sequence of every space, for `./emend status`.
            b.withData("spaces", String.join(",", registry.all().stream()
                    .map(s -> s.name() + "@" + s.sequence()).toList()));
        }
        return b.build();
    }
}
