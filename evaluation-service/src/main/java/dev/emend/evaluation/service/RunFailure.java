package dev.emend.evaluation.service;

/** Ends an accepted run with RUN_STATUS_FAILED and this message as the reason. */
public class RunFailure extends RuntimeException {
    public RunFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
