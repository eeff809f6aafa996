package dev.emend.core.edit;

import dev.emend.core.runtime.LanguageModel;

import java.util.List;

/**
 * A phase's algorithms behind one interface, plugged into the shared gRPC Editor service
 * (module {@code phase-service}). The service owns spaces, the ledger, queueing and consistency;
 * the engine only computes edits and builds states.
 *
 * <p>Contract: {@link #validate} throws {@link EditException} for anything wrong with the
 * requests before any work is done; {@link #compute} reads {@code state} but never changes it
 * (the service applies the result after committing it to the ledger); the service runs at most
 * one {@code compute} at a time per JVM (PyTorch's gradient collector is process-global).
 */
public interface PhaseEngine extends AutoCloseable {
    Phase phase();

    /** The frozen base model every space is built on. */
    LanguageModel model();

    /** Human name of the base checkpoint, e.g. "emend-facts". */
    String modelName();

    /** The methods offered, with hparam specs whose defaults come from the hparams YAML files. */
    List<MethodDescriptor> methods();

    /** A fresh, empty state over the base model. */
    SpaceState newState();

    /**
     * Checks the requests for this method and mode (subject in prompt, non-empty target, context
     * length, ...). Field paths are relative to the call, e.g. {@code requests[3].subject}.
     */
    void validate(MethodDescriptor method, Hparams hparams, EditMode mode, List<EditRequest> requests);

    /** Computes one ledger unit for the requests (one request, or a whole batch) on the state. */
    ComputedEdit compute(SpaceState state, MethodDescriptor method, Hparams hparams, List<EditRequest> requests,
                         Progress progress);

    @Override
    default void close() {
    }
}
