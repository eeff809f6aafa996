package dev.emend.gateway.rest;

import dev.emend.gateway.mapping.OperationJson;
import dev.emend.gateway.mapping.SpaceJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.Role;
import dev.emend.gateway.service.MethodCatalog;
import dev.emend.gateway.service.OperationService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import java.net.URI;

/** The methods catalogue of every phase, and the training of the methods that need it. */
@Path("/v1/methods")
@Produces(MediaType.APPLICATION_JSON)
public class MethodsResource {
    @Inject
    MethodCatalog catalog;
    @Inject
    OperationService operations;
    @Inject
    Caller caller;

    @GET
    @Operation(summary = "Every editing method of every phase, with its hparams (defaults, ranges); phases that do not answer are listed as unavailable")
    public SpaceJson.MethodListJson methods() {
        caller.require(Role.READER, "reading methods");
        return catalog.catalogue();
    }

    @POST
    @Path("{method}/training")
    @Operation(summary = "Train a trainable method's component (MEND's editor) for its phase's model as an operation (editor): "
            + "the phase checks the request first (refusals come back here), then 202 at once; follow GET /v1/operations/{id}, "
            + "cancel with POST /v1/operations/{id}/cancel")
    @APIResponse(responseCode = "202", description = "the training was accepted",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = OperationJson.OperationOutJson.class)))
    public Response train(@PathParam("method") String method, @HeaderParam("Idempotency-Key") String idempotencyKey,
                          OperationJson.TrainingJson body) {
        OperationJson.OperationOutJson op = operations.acceptTraining(caller, method, body, idempotencyKey);
        return Response.accepted(op).location(URI.create("/v1/operations/" + op.id())).build();
    }
}
