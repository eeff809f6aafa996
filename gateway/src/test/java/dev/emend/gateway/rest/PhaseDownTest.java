package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

/**
 * Recognition, association and evaluation are down in the test stack: calls that need them get a
 * 503 naming that phase (also once its circuit breaker is open), while mastery keeps answering.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class PhaseDownTest {
    @Test
    void aPhaseThatIsDownGives503ForThatPhaseOnly() {
        for (int i = 0; i < 8; i++) { // enough failures to open recognition's circuit breaker
            admin().body(Map.of("name", "rec-" + i, "phase", "recognition")).post("/v1/spaces").then().statusCode(503)
                    .contentType("application/problem+json").header("Retry-After", "10")
                    .body("phase", equalTo("recognition")).body("detail", containsString("recognition"))
                    .body("detail", not(containsString("Exception")));
        }
        // Mastery is unaffected, before and after recognition's breaker opened.
        admin().body(Map.of("prompt", "The capital of Japan is", "max_new_tokens", 2)).post("/v1/spaces/base/generate")
                .then().statusCode(200).body("phase", equalTo("mastery"));
        admin().body(Map.of("prompt", "The capital of Japan is", "max_new_tokens", 2))
                .post("/v1/spaces/base/generate?phase=association").then().statusCode(503).body("phase", equalTo("association"));
        admin().get("/v1/methods").then().statusCode(200)
                .body("methods.phase", hasItem("mastery")).body("methods.phase", not(hasItem("recognition")))
                .body("phases.find { it.phase == 'recognition' }.status", equalTo("unavailable"))
                .body("phases.find { it.phase == 'mastery' }.status", equalTo("available"));
        admin().body(Map.of("name", "rec-x", "phase", "recognition")).post("/v1/spaces").then().statusCode(503)
                .body("phase", equalTo("recognition"));
    }

    @Test
    void evaluationServiceDownGives503NamingIt() {
        admin().body(Map.of("cases", List.of(Map.of("prompt", "The capital of France is", "subject", "France", "target_new", "Berlin")),
                        "targets", List.of(Map.of("method", "FT-M"))))
                .post("/v1/evaluations").then().statusCode(503).contentType("application/problem+json")
                .body("phase", equalTo("evaluation"));
    }
}
