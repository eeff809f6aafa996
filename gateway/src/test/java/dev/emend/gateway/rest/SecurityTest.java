package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static dev.emend.gateway.GatewayTestSupport.as;
import static dev.emend.gateway.GatewayTestSupport.newKey;
import static dev.emend.gateway.GatewayTestSupport.newSpace;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

/** Keys, roles, space grants, rate limits and revocation. */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class SecurityTest {
    private static final Map<String, Object> NO_REQUESTS = Map.of("method", "FT-M", "requests", List.of());

    @Test
    void callsWithoutAValidKeyAreRefused() {
        RestAssured.given().get("/v1/spaces").then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", "Bearer").body("detail", containsString("Authorization: Bearer"));
        as("emk_not-a-real-key").get("/v1/spaces").then().statusCode(401).contentType("application/problem+json")
                .body("detail", not(containsString("emk_not-a-real-key")));
        RestAssured.given().header("X-API-Key", "wrong").get("/v1/methods").then().statusCode(401);
    }

    @Test
    void rolesAndSpaceGrantsLimitWhatAKeyMayDo() {
        String mine = newSpace("mine");
        String other = newSpace("other");
        String reader = newKey("reader", List.of(), null);
        String editor = newKey("editor", List.of(mine), null);

        // A reader may read and generate, not edit, create spaces, or manage keys.
        as(reader).get("/v1/spaces").then().statusCode(200);
        as(reader).body(Map.of("prompt", "The capital of Japan is", "max_new_tokens", 1)).post("/v1/spaces/" + mine + "/generate")
                .then().statusCode(200);
        as(reader).body(NO_REQUESTS).post("/v1/spaces/" + mine + "/edits").then().statusCode(403)
                .contentType("application/problem+json").body("detail", containsString("role editor"));
        as(reader).delete("/v1/spaces/" + mine + "/edits/some-id").then().statusCode(403);
        as(reader).body(Map.of("name", "x1", "phase", "mastery")).post("/v1/spaces").then().statusCode(403);

        // An editor may edit its granted space (the empty request gets past authorization to validation) ...
        as(editor).body(NO_REQUESTS).post("/v1/spaces/" + mine + "/edits").then().statusCode(400)
                .body("field", equalTo("requests"));
        // ... but not another space, nor manage keys, spaces, experiments, or read the audit.
        as(editor).body(NO_REQUESTS).post("/v1/spaces/" + other + "/edits").then().statusCode(403)
                .body("detail", containsString(other));
        as(editor).delete("/v1/spaces/" + other + "/edits/some-id").then().statusCode(403);
        as(editor).body(Map.of("name", "k", "role", "admin")).post("/v1/keys").then().statusCode(403);
        as(editor).delete("/v1/spaces/" + mine).then().statusCode(403);
        as(editor).body(Map.of("name", "e", "arms", List.of(Map.of("space", mine, "weight", 1)))).post("/v1/experiments")
                .then().statusCode(403);
        as(editor).get("/v1/audit").then().statusCode(403);

        // Refused edits are audited too, with the key that tried.
        admin().queryParam("space", other).get("/v1/audit").then().statusCode(200)
                .body("find { it.action == 'edit.apply' }.outcome", equalTo("refused"))
                .body("find { it.action == 'edit.apply' }.http_status", equalTo(403));
    }

    @Test
    void keysAreShownOnceStoredHashedAndRevocable() {
        String key = newKey("reader", List.of(), null);
        String listing = admin().get("/v1/keys").then().statusCode(200).extract().asString();
        org.junit.jupiter.api.Assertions.assertFalse(listing.contains(key), "the key list never shows a key");
        String id = admin().get("/v1/keys").then().extract().path("find { it.role == 'reader' }.id");
        as(key).get("/v1/spaces").then().statusCode(200);
        // Revoke every reader key made here, then the key no longer works.
        for (String rid : admin().get("/v1/keys").then().extract().jsonPath().<String>getList("findAll { it.role == 'reader' }.id")) {
            admin().delete("/v1/keys/" + rid).then().statusCode(204);
        }
        as(key).get("/v1/spaces").then().statusCode(401);
        admin().delete("/v1/keys/" + id).then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void overTheRateLimitIs429WithRetryAfter() {
        String key = newKey("reader", List.of(), 2L);
        as(key).get("/v1/spaces").then().statusCode(200);
        as(key).get("/v1/spaces").then().statusCode(200);
        as(key).get("/v1/spaces").then().statusCode(429).contentType("application/problem+json")
                .header("Retry-After", notNullValue()).body("detail", containsString("2 requests per minute"));
    }

    @Test
    void aBadRoleIsA400() {
        admin().contentType(ContentType.JSON).body(Map.of("name", "x", "role", "superuser")).post("/v1/keys")
                .then().statusCode(400).body("field", equalTo("role"));
    }
}
