package dev.emend.gateway.rest;

import dev.emend.gateway.mapping.SpaceJson;
import dev.emend.gateway.security.Caller;
import dev.emend.gateway.security.Role;
import dev.emend.gateway.service.MethodCatalog;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The methods catalogue of every phase. */
@Path("/v1/methods")
@Produces(MediaType.APPLICATION_JSON)
public class MethodsResource {
    @Inject
    MethodCatalog catalog;
    @Inject
    Caller caller;

    @GET
    @Operation(summary = "Every editing method of every phase, with its hparams (defaults, ranges); phases that do not answer are listed as unavailable")
    public SpaceJson.MethodListJson methods() {
        caller.require(Role.READER, "reading methods");
        return catalog.catalogue();
    }
}
