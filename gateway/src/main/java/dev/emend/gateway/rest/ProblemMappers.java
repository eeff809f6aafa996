package dev.emend.gateway.rest;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.emend.gateway.client.PhaseRequestException;
import dev.emend.gateway.client.PhaseUnavailableException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Turns every failure into an RFC 9457 problem+json: what was wrong, where (field), what to do.
 * No stack trace ever reaches a client; unexpected errors are logged with an id the client sees.
 */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);

    static Response respond(Problem p) {
        return Response.status(p.status()).type(Problem.MEDIA_TYPE).entity(p).build();
    }

    @ServerExceptionMapper
    public Response problem(ProblemException e) {
        Response.ResponseBuilder b = Response.status(e.problem().status()).type(Problem.MEDIA_TYPE).entity(e.problem());
        e.headers().forEach(b::header);
        return b.build();
    }

    @ServerExceptionMapper
    public Response phaseDown(PhaseUnavailableException e) {
        return Response.status(503).type(Problem.MEDIA_TYPE).header("Retry-After", "10")
                .entity(Problem.of(503, "Phase service unavailable", e.getMessage()).withPhase(e.phase())).build();
    }

    /** A phase's "field.path: what is wrong" message (EditException.describe()): the field is passed on. */
    private static final java.util.regex.Pattern PHASE_FIELD =
            java.util.regex.Pattern.compile("^([a-z_][a-z0-9_]*(\\[\\d+])*(\\.[A-Za-z0-9_]+(\\[\\d+])*)*): ");

    @ServerExceptionMapper
    public Response phaseRefused(PhaseRequestException e) {
        java.util.regex.Matcher m = PHASE_FIELD.matcher(e.getMessage() == null ? "" : e.getMessage());
        return respond(Problem.of(e.httpStatus(), e.title(), e.getMessage()).withPhase(e.phase())
                .withField(m.find() ? m.group(1) : null));
    }

    @ServerExceptionMapper
    public Response malformed(JsonParseException e) {
        var loc = e.getLocation();
        return respond(Problem.of(400, "Malformed JSON", "The request body is not valid JSON"
                + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")")
                + ": " + e.getOriginalMessage() + ". Send a JSON object that parses."));
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException e) {
        String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream().map(Object::toString)
                .sorted().collect(Collectors.joining(", "));
        String path = path(e);
        return respond(Problem.of(400, "Unknown field", "Field '" + path + "' is not part of this request. "
                + "Remove it" + (known.isEmpty() ? "." : "; known fields here: " + known + ".")).withField(path));
    }

    @ServerExceptionMapper
    public Response wrongType(InvalidFormatException e) {
        String path = path(e);
        return respond(Problem.of(400, "Wrong type", "Field '" + path + "' has value " + e.getValue() + " that is not a "
                + simple(e.getTargetType()) + ". Send a " + simple(e.getTargetType()) + ".").withField(path));
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException e) {
        String path = path(e);
        if (path.isEmpty()) {
            return respond(Problem.of(400, "Wrong body", "The request body does not have the expected shape: "
                    + e.getOriginalMessage() + ". Send a JSON object as documented at /q/swagger-ui."));
        }
        return respond(Problem.of(400, "Wrong type", "Field '" + path + "' has the wrong type: expected "
                + simple(e.getTargetType()) + ". (" + firstLine(e.getOriginalMessage()) + ")").withField(path));
    }

    @ServerExceptionMapper
    public Response mapping(JsonMappingException e) {
        String path = path(e);
        return respond(Problem.of(400, "Invalid value", (path.isEmpty() ? "The body" : "Field '" + path + "'")
                + " could not be read: " + firstLine(e.getOriginalMessage()) + ".").withField(path.isEmpty() ? null : path));
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e) {
        return respond(Problem.of(400, "Malformed JSON", "The request body could not be read as JSON: "
                + firstLine(e.getOriginalMessage()) + "."));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        Throwable cause = e.getCause();
        if (cause instanceof JsonParseException p) {
            return malformed(p);
        }
        if (cause instanceof UnrecognizedPropertyException u) {
            return unknownField(u);
        }
        if (cause instanceof InvalidFormatException f) {
            return wrongType(f);
        }
        if (cause instanceof MismatchedInputException m) {
            return mismatched(m);
        }
        if (cause instanceof JsonMappingException m) {
            return mapping(m);
        }
        String detail = switch (status) {
            case 404 -> "No such resource. The API is under /v1 (see /q/swagger-ui).";
            case 405 -> "This method is not allowed on this path. See /q/swagger-ui for the operations it has.";
            case 406 -> "The gateway answers application/json (errors application/problem+json); accept one of them.";
            case 415 -> "Send the body as Content-Type: application/json.";
            case 400 -> "The request could not be read: " + e.getMessage() + ".";
            default -> e.getMessage();
        };
        Response.ResponseBuilder b = Response.status(status).type(Problem.MEDIA_TYPE)
                .entity(Problem.of(status, Response.Status.fromStatusCode(status) == null ? "Error"
                        : Response.Status.fromStatusCode(status).getReasonPhrase(), detail));
        if (e.getResponse() != null && e.getResponse().getHeaderString("Allow") != null) {
            b.header("Allow", e.getResponse().getHeaderString("Allow"));
        }
        return b.build();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable e) {
        String id = UUID.randomUUID().toString();
        LOG.errorf(e, "unexpected error %s", id);
        return respond(Problem.of(500, "Internal error", "The gateway failed unexpectedly (error id " + id
                + "). Retry; if it persists, report the error id to the operator."));
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!sb.isEmpty()) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String simple(Class<?> type) {
        if (type == null) {
            return "value of the documented type";
        }
        if (type == String.class) {
            return "string";
        }
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "whole number";
        }
        if (type == double.class || type == Double.class || type == float.class || type == Float.class) {
            return "number";
        }
        if (type == boolean.class || type == Boolean.class) {
            return "boolean (true/false)";
        }
        if (java.util.List.class.isAssignableFrom(type) || type.isArray()) {
            return "list";
        }
        if (java.util.Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "JSON object";
        }
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT);
        }
        return type.getSimpleName();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
