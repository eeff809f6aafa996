package dev.emend.gateway.rest;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.Map;

/**
 * An RFC 9457 problem detail, the body of every error the gateway returns
 * ({@code application/problem+json}). {@code detail} says what was wrong and what to do;
 * {@code field} names the request field when one is at fault; {@code phase} names the phase
 * service when one is involved.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance, String field,
                      String phase, Map<String, Object> extensions) {
    public static final String MEDIA_TYPE = "application/problem+json";

    public static Problem of(int status, String title, String detail) {
        return new Problem("about:blank", title, status, detail, null, null, null, null);
    }

    public Problem withField(String f) {
        return new Problem(type, title, status, detail, instance, f, phase, extensions);
    }

    public Problem withPhase(String p) {
        return new Problem(type, title, status, detail, instance, field, p, extensions);
    }

    public Problem withInstance(String i) {
        return new Problem(type, title, status, detail, i, field, phase, extensions);
    }
}
