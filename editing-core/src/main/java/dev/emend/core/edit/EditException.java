package dev.emend.core.edit;

/**
 * A request the service refuses, with the gRPC-style reason, the field path it is about
 * (e.g. {@code requests[2].subject}) and a message that says what to do.
 */
public final class EditException extends RuntimeException {
    /** Mirrors the gRPC status codes of the emend.v1 contracts. */
    public enum Reason { INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED, UNAVAILABLE, CANCELLED, PERMISSION_DENIED }

    private final Reason reason;
    private final String field;

    public EditException(Reason reason, String field, String message) {
        super(message);
        this.reason = reason;
        this.field = field == null ? "" : field;
    }

    public static EditException invalid(String field, String message) {
        return new EditException(Reason.INVALID_ARGUMENT, field, message);
    }

    public static EditException precondition(String field, String message) {
        return new EditException(Reason.FAILED_PRECONDITION, field, message);
    }

    public Reason reason() {
        return reason;
    }

    public String field() {
        return field;
    }

    /** The message prefixed with the field, as sent to clients. */
    public String describe() {
        return field.isEmpty() ? getMessage() : field + ": " + getMessage();
    }
}
