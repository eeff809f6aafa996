package dev.emend.gateway.client;

import io.grpc.Status;

/**
 * A phase service answered, and refused the request (INVALID_ARGUMENT, NOT_FOUND, ...): the
 * status is mapped to the matching HTTP status and the service's message (which names the field
 * and what to do) is passed on.
 */
public class PhaseRequestException extends RuntimeException {
    private final String phase;
    private final Status.Code code;

    public PhaseRequestException(String phase, Status.Code code, String message) {
        super(message, null, false, false);
        this.phase = phase;
        this.code = code;
    }

    public String phase() {
        return phase;
    }

    public Status.Code code() {
        return code;
    }

    public int httpStatus() {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED, FAILED_PRECONDITION -> 409;
            case PERMISSION_DENIED -> 403;
            case UNAUTHENTICATED -> 401;
            case RESOURCE_EXHAUSTED -> 429;
            case UNIMPLEMENTED -> 501;
            case DEADLINE_EXCEEDED -> 504;
            default -> 502;
        };
    }

    public String title() {
        return switch (code) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> "Invalid request";
            case NOT_FOUND -> "Not found";
            case ALREADY_EXISTS -> "Already exists";
            case ABORTED -> "Concurrent change";
            case FAILED_PRECONDITION -> "Not possible in the current state";
            case RESOURCE_EXHAUSTED -> "Too many requests";
            case DEADLINE_EXCEEDED -> "Phase service timed out";
            default -> "Phase service error";
        };
    }

    /** Translates a gRPC failure: unreachable/overloaded statuses become 503s, the rest keep their meaning. */
    public static RuntimeException from(String phase, io.grpc.StatusRuntimeException e) {
        Status s = e.getStatus();
        String description = s.getDescription() == null ? s.getCode().name() : s.getDescription();
        return switch (s.getCode()) {
            case UNAVAILABLE, CANCELLED -> new PhaseUnavailableException(phase,
                    "The " + phase + " phase service is unavailable (" + s.getCode() + ": " + description
                            + "). Other phases are unaffected; retry later or ask the operator to start it.", e);
            case DEADLINE_EXCEEDED -> new PhaseUnavailableException(phase,
                    "The " + phase + " phase service did not answer in time. Retry later.", e);
            default -> new PhaseRequestException(phase, s.getCode(), description);
        };
    }
}
