package dev.emend.gateway.rest;

import dev.emend.gateway.entity.AuditEventEntity;
import dev.emend.gateway.mapping.SpaceJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.Role;
import dev.emend.gateway.service.AuditService;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;

import java.util.Arrays;
import java.util.List;

/** The audit trail (admin). */
@Path("/v1/audit")
@Produces(MediaType.APPLICATION_JSON)
public class AuditResource {
    @Inject
    AuditService audit;
    @Inject
    Caller caller;

    @GET
    @Operation(summary = "Audited actions, newest first: who (key), when, what, outcome")
    public List<SpaceJson.AuditJson> list(@QueryParam("space") String space, @QueryParam("key_id") String keyId,
                                          @Parameter(description = "rows to return (default 100)",
                                                  schema = @Schema(type = SchemaType.INTEGER, minimum = "1", maximum = "1000"))
                                          @QueryParam("limit") String limitParam) {
        caller.require(Role.ADMIN, "reading the audit trail");
        int limit = RequestHygiene.intParam(limitParam, "limit", 100, 1, 1000);
        return audit.latest(space, keyId, limit).stream().map(AuditResource::out).toList();
    }

    private static SpaceJson.AuditJson out(AuditEventEntity a) {
        return new SpaceJson.AuditJson(a.id, a.at.toInstant().toString(), a.keyId, a.keyName, a.role, a.action, a.space,
                a.phase, a.method, a.editIds == null ? List.of() : Arrays.asList(a.editIds.split(",")), a.idempotencyKey,
                a.outcome, a.httpStatus, a.detail);
    }
}
