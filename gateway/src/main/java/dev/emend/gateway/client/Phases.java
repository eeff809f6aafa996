package dev.emend.gateway.client;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

import java.util.function.Function;

/**
 * The only way the rest of the gateway reaches a phase: picks the phase's client bean and turns
 * fault-tolerance outcomes (open breaker, timeout) into a {@link PhaseUnavailableException} that
 * names the phase and becomes a 503.
 */
@ApplicationScoped
public class Phases {
    @Inject
    RecognitionEditorClient recognition;
    @Inject
    AssociationEditorClient association;
    @Inject
    MasteryEditorClient mastery;
    @Inject
    PhaseChannels channels;

    public EditorClient client(PhaseName phase) {
        return switch (phase) {
            case RECOGNITION -> recognition;
            case ASSOCIATION -> association;
            case MASTERY -> mastery;
        };
    }

    public <T> T call(PhaseName phase, Function<EditorClient, T> f) {
        try {
            return f.apply(client(phase));
        } catch (CircuitBreakerOpenException e) {
            throw new PhaseUnavailableException(phase.id(), "The " + phase.id() + " phase service (" + channels.address(phase)
                    + ") failed repeatedly and is not being called for a few seconds (circuit open). Other phases are "
                    + "unaffected; retry in a few seconds.", e);
        } catch (TimeoutException e) {
            throw new PhaseUnavailableException(phase.id(), "The " + phase.id() + " phase service (" + channels.address(phase)
                    + ") did not answer in time. Retry later; an edit may still complete (list the space's edits first).", e);
        }
    }
}
