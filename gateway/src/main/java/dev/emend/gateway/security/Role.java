package dev.emend.gateway.security;

import dev.emend.gateway.rest.ProblemException;

import java.util.Locale;

/** What a key may do; each role includes the ones before it. */
public enum Role {
    /** Generate, score, read spaces, edits, methods, experiments and evaluations. */
    READER,
    /** Also apply and roll back edits, in the spaces the key is granted. */
    EDITOR,
    /** Everything: keys, spaces, experiments, evaluations, the audit trail. */
    ADMIN;

    public boolean includes(Role other) {
        return ordinal() >= other.ordinal();
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String s, String field) {
        if (s == null) {
            throw ProblemException.badRequest(field, "'" + field + "' is required: reader, editor or admin.");
        }
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest(field, "'" + field + "' is '" + s + "': use reader, editor or admin.");
        }
    }
}
