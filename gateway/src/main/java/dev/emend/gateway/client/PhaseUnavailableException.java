package dev.emend.gateway.client;

/** A phase service (or evaluation-service) cannot be reached, timed out, or its circuit is open: 503. */
public class PhaseUnavailableException extends RuntimeException {
    private final String phase;

    public PhaseUnavailableException(String phase, String message, Throwable cause) {
        super(message, cause, false, false);
        this.phase = phase;
    }

    /** "recognition", "association", "mastery" or "evaluation". */
    public String phase() {
        return phase;
    }
}
