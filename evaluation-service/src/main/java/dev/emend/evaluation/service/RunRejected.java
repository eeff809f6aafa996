package dev.emend.evaluation.service;

import io.grpc.Status;

/** A run request that cannot be started: becomes the gRPC status {@link #code()} with this message. */
public class RunRejected extends RuntimeException {
    private final Status.Code code;

    public RunRejected(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    public static RunRejected invalid(String field, String problem) {
        return new RunRejected(Status.Code.INVALID_ARGUMENT, field + ": " + problem);
    }

    public Status.Code code() {
        return code;
    }
}
