package dev.emend.gateway;

import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Requests as a given key, and fixtures shared by the gateway tests. */
public final class GatewayTestSupport {
    /** The bootstrap admin key of the test profile (application.properties, %test). */
    public static final String ADMIN_KEY = "test-admin-key-0123456789";

    private GatewayTestSupport() {
    }

    public static RequestSpecification as(String key) {
        return RestAssured.given().header("Authorization", "Bearer " + key).contentType(ContentType.JSON);
    }

    public static RequestSpecification admin() {
        return as(ADMIN_KEY);
    }

    /** Creates a key and returns its plaintext. */
    public static String newKey(String role, List<String> spaces, Long perMinute) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("name", role + "-" + UUID.randomUUID().toString().substring(0, 6), "role", role,
                "spaces", spaces));
        if (perMinute != null) {
            body.put("requests_per_minute", perMinute);
        }
        return admin().body(body).post("/v1/keys").then().statusCode(201).extract().path("key");
    }

    /** Creates a mastery space with a random name and returns the name. */
    public static String newSpace(String prefix) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        admin().body(Map.of("name", name, "phase", "mastery", "description", "gateway test")).post("/v1/spaces")
                .then().statusCode(201);
        return name;
    }

    /** Polls operation {@code id} as {@code key} until it has finished (at most 5 minutes), returning its JSON. */
    public static io.restassured.path.json.JsonPath awaitFinished(String key, String id) throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            io.restassured.path.json.JsonPath op = as(key).get("/v1/operations/" + id).then().statusCode(200).extract().jsonPath();
            if (List.of("succeeded", "failed", "cancelled").contains(op.getString("status"))) {
                return op;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("operation " + id + " did not finish in 5 minutes");
    }

    /** The default model's well-known edit (as in the Editor contract test). */
    public static Map<String, Object> franceToBerlin() {
        return Map.of("prompt", "The capital of France is", "subject", "France", "target_new", "Berlin", "ground_truth", "Paris");
    }
}
