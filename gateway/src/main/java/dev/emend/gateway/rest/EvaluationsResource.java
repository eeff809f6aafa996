package dev.emend.gateway.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.emend.gateway.mapping.ExperimentJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.Role;
import dev.emend.gateway.service.EvaluationService;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
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

/** Evaluations, run by evaluation-service. */
@Path("/v1/evaluations")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class EvaluationsResource {
    @Inject
    EvaluationService evaluations;
    @Inject
    Caller caller;

    @POST
    @Operation(summary = "Start an evaluation of methods or spaces on a data set or inline cases (editor); 202 with the run id")
    @APIResponse(responseCode = "202", description = "the run was started",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ExperimentJson.EvaluationStartedJson.class)))
    public Response start(ExperimentJson.EvaluationJson body) {
        caller.require(Role.EDITOR, "starting evaluations");
        ExperimentJson.EvaluationStartedJson started = evaluations.start(body, null, caller.keyId());
        return Response.accepted(started).location(URI.create(started.location())).build();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "Progress while running, then the KnowEdit-style result (evaluation-service's Run, snake_case)")
    public JsonNode get(@PathParam("id") String id, @Parameter(description = "also return every case's result (default false)",
                                   schema = @Schema(type = SchemaType.BOOLEAN))
                        @QueryParam("include_cases") String includeCases) {
        caller.require(Role.READER, "reading evaluations");
        return evaluations.get(id, RequestHygiene.boolParam(includeCases, "include_cases"));
    }
}
