package dev.emend.gateway.client;

import dev.emend.api.v1.Phase;
import dev.emend.gateway.rest.ProblemException;

import java.util.Locale;

/** The three phases of learning, as the REST API spells them ("recognition", ...). */
public enum PhaseName {
    RECOGNITION(Phase.PHASE_RECOGNITION),
    ASSOCIATION(Phase.PHASE_ASSOCIATION),
    MASTERY(Phase.PHASE_MASTERY);

    private final Phase proto;

    PhaseName(Phase proto) {
        this.proto = proto;
    }

    public Phase proto() {
        return proto;
    }

    /** Lower-case name used in JSON, URLs and configuration. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static PhaseName of(Phase p) {
        for (PhaseName n : values()) {
            if (n.proto == p) {
                return n;
            }
        }
        throw new IllegalArgumentException("no phase for " + p);
    }

    /** Parses a request value; a wrong one is a 400 naming {@code field}. */
    public static PhaseName parse(String value, String field) {
        if (value == null || value.isBlank()) {
            throw ProblemException.badRequest(field, "'" + field + "' is required: one of recognition, association, mastery.");
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(field, "'" + field + "' is '" + value
                    + "', which is not a phase: use recognition, association or mastery.");
        }
    }

    @Override
    public String toString() {
        return id();
    }
}
