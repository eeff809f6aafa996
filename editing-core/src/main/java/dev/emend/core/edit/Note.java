package dev.emend.core.edit;

/**
 * A remark a method attaches to an answer or an edit (mirrors emend.v1.Note): never an error,
 * something the caller should know, e.g. TRUNCATED, NOT_CONVERGED, CLAMPED.
 */
public record Note(String code, String message, String field) {
    public static Note of(String code, String message) {
        return new Note(code, message, "");
    }
}
