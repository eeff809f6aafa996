package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.startsWith;

/** POST /v1/spaces/{space}/trace reaches the mastery service's Tracing and returns grids plus an SVG heatmap. */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class TraceTest {
    @Test
    void traceOfAKnownFactReturnsGridsAndAHeatmap() {
        admin().body(Map.of("prompt", "The capital of France is", "subject", "France", "samples", 3))
                .post("/v1/spaces/base/trace").then().statusCode(200)
                .body("space", equalTo("base"))
                .body("mlp.rows.size()", equalTo(6))
                .body("tokens.size()", greaterThan(3))
                .body("p_clean", greaterThan(0.5f))
                .body("heatmap_svg", startsWith("<svg"));
    }

    @Test
    void badTraceInputIsA400ProblemAndUnknownSpaceA404() {
        admin().body(Map.of("prompt", "The capital of France is", "subject", "Germany"))
                .post("/v1/spaces/base/trace").then().statusCode(400)
                .contentType("application/problem+json");
        admin().body(Map.of("prompt", "The capital of France is", "subject", "France"))
                .post("/v1/spaces/no-such-space/trace").then().statusCode(404);
    }
}
