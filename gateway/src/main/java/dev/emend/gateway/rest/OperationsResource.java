package dev.emend.gateway.rest;

import dev.emend.gateway.mapping.OperationJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.service.OperationService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

/**
 * Edit operations: long edits accepted with {@code POST /v1/spaces/{space}/operations} (202), run
 * in the background with no deadline, followed here (progress, ETA, result) and cancelled here.
 */
@Path("/v1/operations")
@Produces(MediaType.APPLICATION_JSON)
public class OperationsResource {
    @Inject
    OperationService operations;
    @Inject
    Caller caller;

    @GET
    @Operation(summary = "Edit operations, newest first (reader)")
    public OperationJson.OperationListJson list(@Parameter(description = "only operations on this space")
                                                @QueryParam("space") String space,
                                                @Parameter(description = "only operations with this status",
                                                        schema = @Schema(enumeration = {"queued", "running", "succeeded",
                                                                "failed", "cancelled"}))
                                                @QueryParam("status") String status,
                                                @Parameter(description = "at most this many (default 50)",
                                                        schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "1000"))
                                                @QueryParam("limit") String limit) {
        return operations.list(caller, space, status, limit == null ? 50 : RequestHygiene.intParam(limit, "limit", 50, 1, 1000));
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One edit operation: status, progress and ETA while it runs, then its result or problem (reader)")
    public OperationJson.OperationOutJson get(@PathParam("id") String id) {
        return operations.get(caller, id);
    }

    @POST
    @Path("{id}/cancel")
    @Operation(summary = "Cancel a queued or running edit operation (editor of its space); 409 once it has finished")
    public OperationJson.OperationOutJson cancel(@PathParam("id") String id) {
        return operations.cancel(caller, id);
    }
}
