package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static dev.emend.gateway.GatewayTestSupport.as;
import static dev.emend.gateway.GatewayTestSupport.newKey;
import static dev.emend.gateway.GatewayTestSupport.newSpace;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An A/B experiment splits callers by weight, sticks, and counts per arm in PostgreSQL. */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class ExperimentTest {
    private static final int CALLERS = 80;

    @Test
    void callersAreSplitByWeightStickyAndCounted() {
        String treated = newSpace("arm-b");
        String id = admin().body(Map.of("name", "capitals A/B", "arms", List.of(
                        Map.of("name", "control", "space", "base", "phase", "mastery", "weight", 3),
                        Map.of("name", "treated", "space", treated, "weight", 1))))
                .post("/v1/experiments").then().statusCode(201).body("arms[0].share", equalTo(0.75f))
                .extract().path("id");
        String reader = newKey("reader", List.of(), 100_000L);

        Map<String, String> armOf = new HashMap<>();
        Map<String, Integer> count = new HashMap<>();
        for (int i = 0; i < CALLERS; i++) {
            JsonPath r = as(reader).body(Map.of("prompt", "The capital of Japan is", "max_new_tokens", 1, "caller", "user-" + i))
                    .post("/v1/experiments/" + id + "/generate").then().statusCode(200)
                    .body("experiment_id", equalTo(id)).body("phase", equalTo("mastery"))
                    .body("model_version", notNullValue()).extract().jsonPath();
            String arm = r.getString("arm");
            assertEquals(arm.equals("control") ? "base" : treated, r.getString("space"), "the answer names the arm's space");
            armOf.put("user-" + i, arm);
            count.merge(arm, 1, Integer::sum);
        }
        // Expected 60 / 20; binomial sd ~3.9, tolerance 4 sd. (Hash-based, so it is also deterministic.)
        int control = count.getOrDefault("control", 0);
        assertTrue(Math.abs(control - 60) <= 16, "control got " + control + " of " + CALLERS + " callers, expected ~60");

        // Sticky: the same callers land in the same arms again (also via the X-Caller-Id header).
        for (int i = 0; i < 20; i++) {
            as(reader).body(Map.of("prompt", "The capital of Japan is", "max_new_tokens", 1, "caller", "user-" + i))
                    .post("/v1/experiments/" + id + "/generate").then().statusCode(200).body("arm", equalTo(armOf.get("user-" + i)));
            as(reader).header("X-Caller-Id", "user-" + i).body(Map.of("prompt", "The capital of Japan is", "max_new_tokens", 1))
                    .post("/v1/experiments/" + id + "/generate").then().statusCode(200).body("arm", equalTo(armOf.get("user-" + i)));
        }
        long againControl = armOf.entrySet().stream().filter(e -> Integer.parseInt(e.getKey().substring(5)) < 20)
                .filter(e -> e.getValue().equals("control")).count();

        JsonPath stats = as(reader).get("/v1/experiments/" + id).then().statusCode(200).extract().jsonPath();
        assertEquals(control + 2 * againControl, stats.getLong("arms.find { it.name == 'control' }.requests"));
        assertEquals(CALLERS - control + 2 * (20 - againControl), stats.getLong("arms.find { it.name == 'treated' }.requests"));
        assertEquals(0, stats.getLong("arms.find { it.name == 'control' }.errors"));
        assertTrue(stats.getDouble("arms.find { it.name == 'control' }.latency_ms.p50") > 0);
        assertTrue(stats.getDouble("arms.find { it.name == 'treated' }.latency_ms.p99")
                >= stats.getDouble("arms.find { it.name == 'treated' }.latency_ms.p50"));
    }

    @Test
    void anUnknownExperimentOrArmSpaceIsRefused() {
        admin().body(Map.of("prompt", "x")).post("/v1/experiments/no-such/generate").then().statusCode(404)
                .contentType("application/problem+json");
        admin().body(Map.of("name", "bad", "arms", List.of(Map.of("space", "missing-space", "weight", 1))))
                .post("/v1/experiments").then().statusCode(404);
        admin().body(Map.of("name", "bad", "arms", List.of(Map.of("space", "base", "weight", 0))))
                .post("/v1/experiments").then().statusCode(400).body("field", equalTo("arms[0].weight"));
    }
}
