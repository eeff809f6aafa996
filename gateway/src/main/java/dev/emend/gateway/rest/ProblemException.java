package dev.emend.gateway.rest;

import java.util.LinkedHashMap;
import java.util.Map;

/** Thrown anywhere in the gateway to answer with a problem+json; carries optional headers. */
public class ProblemException extends RuntimeException {
    private final transient Problem problem;
    private final Map<String, String> headers = new LinkedHashMap<>();

    public ProblemException(Problem problem) {
        super(problem.detail(), null, false, false);
        this.problem = problem;
    }

    public static ProblemException badRequest(String field, String detail) {
        return new ProblemException(Problem.of(400, "Invalid request", detail).withField(field));
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(Problem.of(404, "Not found", detail));
    }

    public static ProblemException conflict(String detail) {
        return new ProblemException(Problem.of(409, "Conflict", detail));
    }

    public static ProblemException forbidden(String detail) {
        return new ProblemException(Problem.of(403, "Forbidden", detail));
    }

    public static ProblemException unauthorized(String detail) {
        return new ProblemException(Problem.of(401, "Unauthorized", detail)).header("WWW-Authenticate", "Bearer");
    }

    public static ProblemException tooMany(String detail, long retryAfterSeconds) {
        return new ProblemException(Problem.of(429, "Too many requests", detail))
                .header("Retry-After", Long.toString(Math.max(1, retryAfterSeconds)));
    }

    public static ProblemException unavailable(String detail, long retryAfterSeconds) {
        return new ProblemException(Problem.of(503, "Service unavailable", detail))
                .header("Retry-After", Long.toString(Math.max(1, retryAfterSeconds)));
    }

    public static ProblemException tooLarge(String field, String detail) {
        return new ProblemException(Problem.of(413, "Content too large", detail).withField(field));
    }

    public ProblemException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    public Problem problem() {
        return problem;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
