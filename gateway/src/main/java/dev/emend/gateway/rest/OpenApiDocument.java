package dev.emend.gateway.rest;

import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.security.SecurityScheme;

import java.util.List;
import java.util.Map;

/**
 * Completes the generated OpenAPI document with what annotations cannot say once for all
 * operations: every {@code /v1} operation needs an API key (bearer or X-API-Key) and may answer
 * with an RFC 9457 problem (the {@code default} response, {@code application/problem+json}).
 * Registered with {@code mp.openapi.filter}.
 */
public class OpenApiDocument implements OASFilter {
    static final String PROBLEM = "Problem";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null) {
            openAPI.setComponents(OASFactory.createComponents());
        }
        Components c = openAPI.getComponents();
        c.addSchema(PROBLEM, problem());
        c.addSecurityScheme("bearer", OASFactory.createSecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                .description("Authorization: Bearer <key>"));
        c.addSecurityScheme("api_key", OASFactory.createSecurityScheme().type(SecurityScheme.Type.APIKEY)
                .in(SecurityScheme.In.HEADER).name("X-API-Key"));
        if (openAPI.getPaths() == null) {
            return;
        }
        for (Map.Entry<String, PathItem> path : openAPI.getPaths().getPathItems().entrySet()) {
            if (!path.getKey().startsWith("/v1")) {
                continue;
            }
            for (Operation op : path.getValue().getOperations().values()) {
                op.setSecurity(List.of(OASFactory.createSecurityRequirement().addScheme("bearer"),
                        OASFactory.createSecurityRequirement().addScheme("api_key")));
                op.getResponses().addAPIResponse("default", OASFactory.createAPIResponse()
                        .description("Any refusal or failure (4xx/5xx): an RFC 9457 problem naming the field at fault")
                        .content(OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE, OASFactory.createMediaType()
                                .schema(OASFactory.createSchema().ref(PROBLEM)))));
            }
        }
    }

    private static Schema problem() {
        Schema string = OASFactory.createSchema().addType(Schema.SchemaType.STRING);
        return OASFactory.createSchema().addType(Schema.SchemaType.OBJECT)
                .description("RFC 9457 problem details; 'field' names the request field at fault, 'phase' the phase service involved")
                .addProperty("type", string).addProperty("title", string)
                .addProperty("status", OASFactory.createSchema().addType(Schema.SchemaType.INTEGER))
                .addProperty("detail", string).addProperty("instance", string).addProperty("field", string)
                .addProperty("phase", string)
                .addProperty("extensions", OASFactory.createSchema().addType(Schema.SchemaType.OBJECT))
                .required(List.of("type", "title", "status", "detail"));
    }
}
