package dev.emend.gateway.rest;

import dev.emend.gateway.mapping.EditJson;
import dev.emend.gateway.mapping.GenerationJson;
import dev.emend.gateway.mapping.OperationJson;
import dev.emend.gateway.mapping.SpaceJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.Role;
import dev.emend.gateway.service.AuditService;
import dev.emend.gateway.service.EditService;
import dev.emend.gateway.service.GenerationService;
import dev.emend.gateway.service.SpaceService;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** Spaces, their edits, and generation/scoring on them. */
@Path("/v1/spaces")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class SpacesResource {
    @Inject
    SpaceService spaces;
    @Inject
    EditService edits;
    @Inject
    dev.emend.gateway.service.OperationService operations;
    @Inject
    GenerationService generation;
    @Inject
    AuditService audit;
    @Inject
    Caller caller;
    @Inject
    dev.emend.gateway.client.TracingClient tracing;
    @Inject
    dev.emend.gateway.service.SpaceService spaceService;
    @Inject
    com.fasterxml.jackson.databind.ObjectMapper objectMapper;

    @POST
    @Operation(summary = "Create an empty space in one phase (admin)")
    @APIResponse(responseCode = "201", description = "the space",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = SpaceJson.SpaceOutJson.class)))
    public Response create(SpaceJson.CreateSpaceJson body) {
        caller.require(Role.ADMIN, "creating spaces");
        SpaceJson.SpaceOutJson s;
        try {
            s = spaces.create(body, caller.keyId());
        } catch (RuntimeException e) {
            audit.recordQuietly(caller, new AuditService.Event("space.create", body == null ? null : body.name(),
                    body == null ? null : body.phase(), null, List.of(), null, "refused", statusOf(e), e.getMessage()));
            throw e;
        }
        audit.recordQuietly(caller, new AuditService.Event("space.create", s.name(), s.phase(), null, List.of(), null, "ok", 201, s.description()));
        return Response.created(URI.create("/v1/spaces/" + s.name())).entity(s).build();
    }

    @GET
    @Operation(summary = "List spaces with their phase and live state")
    public SpaceJson.SpaceListJson list() {
        caller.require(Role.READER, "listing spaces");
        return spaces.list();
    }

    @DELETE
    @Path("{space}")
    @Operation(summary = "Delete a space and its ledger (admin)")
    public Map<String, Object> delete(@PathParam("space") String space) {
        caller.require(Role.ADMIN, "deleting spaces");
        long discarded;
        try {
            discarded = spaces.delete(space);
        } catch (RuntimeException e) {
            audit.recordQuietly(caller, new AuditService.Event("space.delete", space, null, null, List.of(), null, "refused", statusOf(e), e.getMessage()));
            throw e;
        }
        audit.recordQuietly(caller, new AuditService.Event("space.delete", space, null, null, List.of(), null, "ok", 200,
                discarded + " ledger entries discarded"));
        return Map.of("name", space, "edits_discarded", discarded);
    }

    @POST
    @Path("{space}/edits")
    @Operation(summary = "Apply KnowEdit-style edit requests with one method (editor of the space); Idempotency-Key makes a retry return the first result")
    public EditJson.AppliedJson apply(@PathParam("space") String space, @HeaderParam("Idempotency-Key") String idempotencyKey,
                                      EditJson.ApplyEditsJson body) {
        return edits.apply(caller, space, body, idempotencyKey);
    }

    @POST
    @Path("{space}/operations")
    @Operation(summary = "Accept edit requests as an operation (editor of the space): 202 at once, then follow GET "
            + "/v1/operations/{id} for progress and the result; for edits that may take longer than a request should wait")
    @APIResponse(responseCode = "202", description = "the operation was accepted",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OperationJson.OperationOutJson.class)))
    public Response applyAsOperation(@PathParam("space") String space, @HeaderParam("Idempotency-Key") String idempotencyKey,
                                     EditJson.ApplyEditsJson body) {
        OperationJson.OperationOutJson op = operations.accept(caller, space, body, idempotencyKey);
        return Response.accepted(op).location(URI.create("/v1/operations/" + op.id())).build();
    }

    @GET
    @Path("{space}/edits")
    @Operation(summary = "The space's ledger in sequence order")
    public EditJson.EditListJson listEdits(@PathParam("space") String space, @Parameter(description = "only edits with this status",
                                                   schema = @Schema(enumeration = {"live", "superseded", "rolled_back"}))
                                           @QueryParam("status") String status,
                                           @Parameter(description = "edits per page (default: the phase's, 100)",
                                                   schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "1000"))
                                           @QueryParam("page_size") String pageSize,
                                           @Parameter(description = "next_page_token of the previous page")
                                           @QueryParam("page_token") String pageToken) {
        caller.require(Role.READER, "reading edits");
        return edits.list(space, status, pageSize == null ? null : RequestHygiene.intParam(pageSize, "page_size", 0, 1, 1000),
                pageToken);
    }

    @GET
    @Path("{space}/edits/{id}")
    @Operation(summary = "One edit record")
    public EditJson.EditRecordJson getEdit(@PathParam("space") String space, @PathParam("id") String id) {
        caller.require(Role.READER, "reading edits");
        return edits.get(space, id);
    }

    @DELETE
    @Path("{space}/edits/{id}")
    @Operation(summary = "Roll back one edit (editor of the space); the record is kept with status rolled_back")
    public EditJson.RolledBackJson rollback(@PathParam("space") String space, @PathParam("id") String id,
                                            @HeaderParam("Idempotency-Key") String idempotencyKey) {
        return edits.rollback(caller, space, id, idempotencyKey);
    }

    @POST
    @Path("{space}/generate")
    @Operation(summary = "Generate a continuation from the space")
    public GenerationJson.GeneratedJson generate(@PathParam("space") String space,
                                                 @Parameter(description = "only for 'base': which phase's base model (default mastery)")
                                                 @QueryParam("phase") String phase, GenerationJson.GenerateJson body) {
        caller.require(Role.READER, "generating");
        return generation.generate(space, phase, body);
    }

    @POST
    @Path("{space}/score")
    @Operation(summary = "Teacher-forced score of prompt + ' ' + target on the space")
    public GenerationJson.ScoredJson score(@PathParam("space") String space, @QueryParam("phase") String phase,
                                           GenerationJson.ScoreJson body) {
        caller.require(Role.READER, "scoring");
        return generation.score(space, phase, body);
    }

    @POST
    @Path("{space}/trace")
    @Operation(summary = "Causal trace of a fact on a mastery space (or base): where in the layers restoring the clean "
            + "state brings the answer back; JSON grids plus an SVG heatmap of the MLP grid")
    public com.fasterxml.jackson.databind.JsonNode trace(@PathParam("space") String space, @QueryParam("phase") String phase,
                                                         dev.emend.gateway.mapping.TraceJson.TraceRequestJson body) {
        caller.require(Role.READER, "tracing");
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"prompt\": \"...\", \"subject\": \"...\"} (target optional).");
        }
        dev.emend.gateway.client.PhaseName owner = spaceService.phaseOf(space, phase);
        if (owner != dev.emend.gateway.client.PhaseName.MASTERY) {
            throw ProblemException.badRequest("space", "Tracing reads the model's weights, which only the mastery phase "
                    + "serves; '" + space + "' is a " + owner.id() + " space. Trace a mastery space or base.");
        }
        dev.emend.api.v1.TraceRequest.Builder r = dev.emend.api.v1.TraceRequest.newBuilder().setSpace(space)
                .setPrompt(body.prompt() == null ? "" : body.prompt()).setSubject(body.subject() == null ? "" : body.subject())
                .setSamples(body.samples() == null ? 0 : body.samples()).setWindow(body.window() == null ? 0 : body.window());
        if (body.target() != null) {
            r.setTarget(body.target());
        }
        return dev.emend.gateway.mapping.TraceJson.of(tracing.trace(r.build()), objectMapper);
    }

    static int statusOf(RuntimeException e) {
        if (e instanceof ProblemException p) {
            return p.problem().status();
        }
        if (e instanceof dev.emend.gateway.client.PhaseRequestException p) {
            return p.httpStatus();
        }
        return e instanceof dev.emend.gateway.client.PhaseUnavailableException ? 503 : 500;
    }
}
