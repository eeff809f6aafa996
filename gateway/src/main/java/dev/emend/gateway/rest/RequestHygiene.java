package dev.emend.gateway.rest;

import dev.emend.gateway.config.GatewayConfig;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ResourceInfo;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Refuses malformed requests before any resource method runs, so nothing is applied or stored
 * from them (each refusal a 4xx problem+json naming the parameter):
 * <ul>
 *   <li>headers larger than {@code emend.gateway.limits.max-header-bytes} in all: 431;</li>
 *   <li>a body on an operation that reads one, without a Content-Type: 415 (it is never guessed);</li>
 *   <li>a query parameter the operation does not declare (e.g. {@code ?kind=} on rollback): 400;</li>
 *   <li>path and query parameters, {@code Idempotency-Key} and {@code X-Caller-Id} under
 *       {@link TextPolicy}; a {@code {space}} path segment that is not a valid space name; header
 *       values outside printable ASCII: 400.</li>
 * </ul>
 * Body strings are checked against {@link TextPolicy} right after deserialization
 * ({@link TextPolicyReader}).
 */
public class RequestHygiene {
    /** Space names: 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit. */
    public static final String SPACE_NAME = "[a-z0-9][a-z0-9_-]{0,62}";
    static final int MAX_ID_CHARS = 200;
    private static final Set<String> CHECKED_HEADERS = Set.of("Idempotency-Key", "X-Caller-Id");

    @Inject
    Instance<GatewayConfig> config;

    private final Map<Method, Set<String>> queryParams = new ConcurrentHashMap<>();

    @ServerRequestFilter(priority = Priorities.AUTHENTICATION - 100, preMatching = true)
    public void headers(ContainerRequestContext ctx) {
        long bytes = 0;
        for (Map.Entry<String, List<String>> h : ctx.getHeaders().entrySet()) {
            for (String v : h.getValue()) {
                bytes += h.getKey().length() + 2 + (v == null ? 0 : v.length()) + 2;
            }
        }
        long max = config.get().limits().maxHeaderBytes();
        if (bytes > max) {
            throw new ProblemException(Problem.of(431, "Request header fields too large", "The request headers have "
                    + bytes + " bytes; the limit is " + max + ". Send shorter headers (an API key is 48 characters)."));
        }
    }

    @ServerRequestFilter(priority = Priorities.USER)
    public void parameters(ContainerRequestContext ctx, ResourceInfo resource) {
        if (!ctx.getUriInfo().getPath().startsWith("/v1") || resource == null || resource.getResourceMethod() == null) {
            return;
        }
        Method method = resource.getResourceMethod();
        for (String name : CHECKED_HEADERS) {
            String v = ctx.getHeaderString(name);
            if (v != null) {
                headerValue(v, name);
            }
        }
        ctx.getUriInfo().getPathParameters().forEach((name, values) -> values.forEach(v -> pathValue(name, v)));
        Set<String> known = queryParams.computeIfAbsent(method, RequestHygiene::declaredQueryParams);
        for (Map.Entry<String, List<String>> q : ctx.getUriInfo().getQueryParameters().entrySet()) {
            if (!known.contains(q.getKey())) {
                TextPolicy.check(q.getKey(), "query");
                throw ProblemException.badRequest(q.getKey(), "Query parameter '" + q.getKey() + "' is not part of "
                        + ctx.getMethod() + " " + ctx.getUriInfo().getPath() + (known.isEmpty() ? ", which takes none"
                        : "; it takes " + String.join(", ", known)) + ". Remove it.");
            }
            if (q.getValue().size() > 1) {
                throw ProblemException.badRequest(q.getKey(), "Query parameter '" + q.getKey() + "' is given "
                        + q.getValue().size() + " times; give it once.");
            }
            for (String v : q.getValue()) {
                if (v == null || v.isEmpty()) {
                    throw ProblemException.badRequest(q.getKey(), "Query parameter '" + q.getKey() + "' is empty; give a "
                            + "value or leave the parameter out.");
                }
                TextPolicy.check(v, q.getKey());
            }
        }
        if (readsBody(method) && ctx.getMediaType() == null) {
            throw new ProblemException(Problem.of(415, "Unsupported Media Type", "The request has no Content-Type; "
                    + "send the body as Content-Type: application/json."));
        }
    }

    private static void pathValue(String name, String v) {
        TextPolicy.check(v, name);
        if (v.length() > MAX_ID_CHARS) {
            throw ProblemException.badRequest(name, "Path parameter '" + name + "' has " + v.length()
                    + " characters; at most " + MAX_ID_CHARS + ".");
        }
        if (name.equals("space") && !v.matches(SPACE_NAME)) {
            throw ProblemException.badRequest("space", "'" + v + "' is not a space name: names have 1-63 characters of "
                    + "a-z, 0-9, '_' and '-', starting with a letter or digit.");
        }
    }

    /** Header values the gateway reads: 1-200 printable ASCII characters (no controls, no non-ASCII). */
    static void headerValue(String v, String name) {
        if (v.isEmpty() || v.length() > MAX_ID_CHARS) {
            throw ProblemException.badRequest(name, "The " + name + " header must have 1-" + MAX_ID_CHARS
                    + " characters; it has " + v.length() + ".");
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw ProblemException.badRequest(name, "The " + name + " header has the character "
                        + String.format("U+%04X", (int) c) + " at index " + i + "; use printable ASCII only "
                        + "(letters, digits, punctuation, space), e.g. a UUID.");
            }
        }
    }

    private static Set<String> declaredQueryParams(Method m) {
        Set<String> names = new TreeSet<>();
        for (Annotation[] param : m.getParameterAnnotations()) {
            for (Annotation a : param) {
                if (a instanceof QueryParam q) {
                    names.add(q.value());
                }
            }
        }
        return names;
    }

    /** Whether the operation has an entity parameter (one without a JAX-RS annotation). */
    private static boolean readsBody(Method m) {
        Annotation[][] params = m.getParameterAnnotations();
        for (Annotation[] param : params) {
            boolean annotated = false;
            for (Annotation a : param) {
                String pkg = a.annotationType().getPackageName();
                annotated |= pkg.equals("jakarta.ws.rs") || pkg.startsWith("org.jboss.resteasy");
            }
            if (!annotated) {
                return true;
            }
        }
        return false;
    }

    /**
     * A whole-number query parameter: absent -> {@code dflt}; not a number or outside [min, max] -> 400
     * (JAX-RS would answer a conversion failure with 404).
     */
    public static int intParam(String raw, String name, int dflt, int min, int max) {
        if (raw == null) {
            return dflt;
        }
        try {
            int v = Integer.parseInt(raw.strip());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ProblemException.badRequest(name, "'" + name + "' is '" + raw + "'; give a whole number in [" + min + ", "
                + max + "].");
    }

    /** A boolean query parameter: absent -> false; only "true" or "false" (any case) are accepted. */
    public static boolean boolParam(String raw, String name) {
        if (raw == null || raw.equalsIgnoreCase("false")) {
            return false;
        }
        if (raw.equalsIgnoreCase("true")) {
            return true;
        }
        throw ProblemException.badRequest(name, "'" + name + "' is '" + raw + "'; give true or false.");
    }
}
