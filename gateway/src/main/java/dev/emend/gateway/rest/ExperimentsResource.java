package dev.emend.gateway.rest;

import dev.emend.gateway.mapping.ExperimentJson;
import dev.emend.gateway.mapping.GenerationJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.Role;
import dev.emend.gateway.service.AuditService;
import dev.emend.gateway.service.ExperimentService;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.net.URI;
import java.util.List;

/** A/B experiments between spaces (possibly in different phases). */
@Path("/v1/experiments")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class ExperimentsResource {
    @Inject
    ExperimentService experiments;
    @Inject
    AuditService audit;
    @Inject
    Caller caller;

    @POST
    @Operation(summary = "Create an experiment with weighted arms over spaces (admin)")
    @APIResponse(responseCode = "201", description = "the experiment",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ExperimentJson.ExperimentOutJson.class)))
    public Response create(ExperimentJson.CreateExperimentJson body) {
        caller.require(Role.ADMIN, "creating experiments");
        ExperimentJson.ExperimentOutJson e = experiments.create(body, caller.keyId());
        audit.recordQuietly(caller, new AuditService.Event("experiment.create", null, null, null, List.of(), null, "ok", 201,
                "experiment " + e.id() + " '" + e.name() + "' with arms " + e.arms().stream().map(a -> a.name() + ":" + a.weight()).toList()));
        return Response.created(URI.create("/v1/experiments/" + e.id())).entity(e).build();
    }

    @GET
    @Operation(summary = "All experiments with their per-arm counters")
    public List<ExperimentJson.ExperimentOutJson> list() {
        caller.require(Role.READER, "reading experiments");
        return experiments.list();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "Per arm: requests, errors, latency percentiles, and the evaluations run on the arms")
    public ExperimentJson.ExperimentOutJson get(@PathParam("id") String id) {
        caller.require(Role.READER, "reading experiments");
        return experiments.get(id);
    }

    @POST
    @Path("{id}/generate")
    @Operation(summary = "Generate through the caller's arm (sticky by hash of caller, else X-Caller-Id, else the key id)")
    public GenerationJson.GeneratedJson generate(@PathParam("id") String id, @HeaderParam("X-Caller-Id") String callerHeader,
                                                 GenerationJson.ExperimentGenerateJson body) {
        caller.require(Role.READER, "generating");
        return experiments.generate(id, body, callerHeader != null && !callerHeader.isBlank() ? callerHeader : "key:" + caller.keyId());
    }

    @POST
    @Path("{id}/evaluations")
    @Operation(summary = "Evaluate every arm on the same cases (admin); 202 with the run id")
    @APIResponse(responseCode = "202", description = "the run was started",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = ExperimentJson.EvaluationStartedJson.class)))
    public Response evaluate(@PathParam("id") String id, ExperimentJson.ExperimentEvaluationJson body) {
        caller.require(Role.ADMIN, "evaluating experiments");
        ExperimentJson.EvaluationStartedJson started = experiments.evaluate(id, body, caller.keyId());
        return Response.accepted(started).location(URI.create(started.location())).build();
    }
}
