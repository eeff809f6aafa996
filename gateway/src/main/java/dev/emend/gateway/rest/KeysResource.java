package dev.emend.gateway.rest;

import dev.emend.gateway.entity.ApiKeyEntity;
import dev.emend.gateway.mapping.SpaceJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.Role;
import dev.emend.gateway.service.ApiKeyService;
import dev.emend.gateway.service.AuditService;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
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
import java.util.Arrays;
import java.util.List;

/** API keys (admin). The plaintext key is in the creation answer only. */
@Path("/v1/keys")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class KeysResource {
    @Inject
    ApiKeyService keys;
    @Inject
    AuditService audit;
    @Inject
    Caller caller;

    @POST
    @Operation(summary = "Create a key with a role (reader, editor, admin) and, for editors, the spaces it may edit; the key is shown once")
    @APIResponse(responseCode = "201", description = "the key, with its secret (shown once)",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = SpaceJson.KeyOutJson.class)))
    public Response create(SpaceJson.CreateKeyJson body) {
        caller.require(Role.ADMIN, "managing keys");
        if (body == null) {
            throw ProblemException.badRequest(null, "The body is empty; send {\"name\": ..., \"role\": \"editor\", \"spaces\": [...]}.");
        }
        ApiKeyService.CreatedKey k = keys.create(body.name(), Role.parse(body.role(), "role"), body.spaces(),
                body.requestsPerMinute(), caller.keyId());
        audit.recordQuietly(caller, new AuditService.Event("key.create", null, null, null, List.of(), null, "ok", 201,
                "key " + k.info().id() + " '" + k.info().name() + "' role " + k.info().role().id() + " spaces " + k.info().spaces()));
        return Response.created(URI.create("/v1/keys/" + k.info().id()))
                .entity(new SpaceJson.KeyOutJson(k.info().id(), k.info().name(), k.info().role().id(),
                        k.info().spaces().stream().sorted().toList(), k.info().requestsPerMinute(), k.createdAt().toInstant().toString(),
                        caller.keyId(), k.key())).build();
    }

    @GET
    @Operation(summary = "Active keys (never their secret)")
    public List<SpaceJson.KeyOutJson> list() {
        caller.require(Role.ADMIN, "managing keys");
        return keys.list().stream().map(KeysResource::out).toList();
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Revoke a key")
    @APIResponse(responseCode = "204", description = "revoked")
    public Response revoke(@PathParam("id") String id) {
        caller.require(Role.ADMIN, "managing keys");
        keys.revoke(id);
        audit.recordQuietly(caller, new AuditService.Event("key.revoke", null, null, null, List.of(), null, "ok", 204, "key " + id));
        return Response.noContent().build();
    }

    private static SpaceJson.KeyOutJson out(ApiKeyEntity k) {
        return new SpaceJson.KeyOutJson(k.id, k.name, k.role, k.spaces == null || k.spaces.isBlank() ? List.of()
                : Arrays.stream(k.spaces.split(",")).toList(), k.requestsPerMinute,
                k.createdAt == null ? null : k.createdAt.toInstant().toString(), k.createdBy, null);
    }
}
