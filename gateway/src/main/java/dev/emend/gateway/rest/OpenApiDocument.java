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
        c.getSchemas().values().forEach(OpenApiDocument::anyForBareObject);
        c.removeSchema("JsonNodeType"); // only JsonNode's bean scan used it
        if (openAPI.getPaths() == null) {
            return;
        }
        for (Map.Entry<String, PathItem> path : openAPI.getPaths().getPathItems().entrySet()) {
            if (!path.getKey().startsWith("/v1")) {
                continue;
            }
            for (Operation op : path.getValue().getOperations().values()) {
                if (op.getRequestBody() != null && op.getRequestBody().getContent() != null) {
                    op.getRequestBody().getContent().getMediaTypes().values().forEach(m -> anyForBareObject(m.getSchema()));
                }
                op.getResponses().getAPIResponses().values().stream().filter(r -> r.getContent() != null)
                        .forEach(r -> r.getContent().getMediaTypes().values().forEach(m -> anyForBareObject(m.getSchema())));
                op.setSecurity(List.of(OASFactory.createSecurityRequirement().addScheme("bearer"),
                        OASFactory.createSecurityRequirement().addScheme("api_key")));
                op.getResponses().addAPIResponse("default", OASFactory.createAPIResponse()
                        .description("Any refusal or failure (4xx/5xx): an RFC 9457 problem naming the field at fault")
                        .content(OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE, OASFactory.createMediaType()
                                .schema(OASFactory.createSchema().ref(PROBLEM)))));
            }
        }
    }

    /**
     * A Java {@code Object} (an hparam value, a map of them) or a Jackson {@code JsonNode} is
     * scanned as {@code {type: object}}, but on the wire it may be any JSON value (a number, a
     * list, ...): such a bare object schema becomes the any-value schema {@code {}}. A schema
     * with an explicit {@code oneOf} loses the scanned type.
     */
    static void anyForBareObject(Schema s) {
        if (s == null || s.getRef() != null) {
            return;
        }
        if (s.getProperties() != null && s.getProperties().containsKey("node_type") && s.getProperties().containsKey("container_node")) {
            // Jackson's JsonNode scanned as a bean (its getters): on the wire it is the JSON it holds,
            // here a JSON object (a trace, an evaluation run) with any members.
            s.setProperties(null);
            s.setRequired(null);
            s.setType(List.of(Schema.SchemaType.OBJECT));
            s.setAdditionalPropertiesBoolean(Boolean.TRUE);
            return;
        }
        boolean bare = s.getType() != null && s.getType().equals(List.of(Schema.SchemaType.OBJECT))
                && (s.getProperties() == null || s.getProperties().isEmpty()) && s.getAdditionalPropertiesSchema() == null
                && s.getAllOf() == null && s.getAnyOf() == null && s.getOneOf() == null;
        if (bare) {
            s.setType(null);
            return;
        }
        if (s.getOneOf() != null && !s.getOneOf().isEmpty()) {
            // An explicit oneOf (e.g. ground_truth: a string or a list) is the whole truth; the
            // scanned Java type (List) would otherwise forbid the single-string form.
            s.setType(null);
            s.setItems(null);
        }
        if (s.getProperties() != null) {
            s.getProperties().values().forEach(OpenApiDocument::anyForBareObject);
        }
        anyForBareObject(s.getAdditionalPropertiesSchema());
        anyForBareObject(s.getItems());
        for (List<Schema> group : java.util.Arrays.asList(s.getAllOf(), s.getAnyOf(), s.getOneOf())) {
            if (group != null) {
                group.forEach(OpenApiDocument::anyForBareObject);
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
