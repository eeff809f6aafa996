package dev.emend.evaluation.client;

import io.grpc.StatusRuntimeException;

/**
 * A read from a phase service failed in a way a retry can fix (UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, ABORTED). Retried by {@link PhaseEditors}; when retries run out it reaches
 * the caller with the gRPC status as cause.
 */
public class TransientPhaseException extends RuntimeException {
    public TransientPhaseException(String message, StatusRuntimeException cause) {
        super(message, cause);
    }

    public StatusRuntimeException status() {
        return (StatusRuntimeException) getCause();
    }
}
