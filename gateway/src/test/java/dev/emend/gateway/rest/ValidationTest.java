package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static dev.emend.gateway.GatewayTestSupport.franceToBerlin;
import static dev.emend.gateway.GatewayTestSupport.newSpace;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/** Malformed JSON, wrong types, unknown fields and oversized input: the right 4xx, as problem+json. */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class ValidationTest {
    private static final String PROBLEM = "application/problem+json";

    @Test
    void malformedJsonIs400() {
        admin().body("{\"prompt\": \"The capital of\", ").post("/v1/spaces/base/generate").then().statusCode(400)
                .contentType(PROBLEM).body("title", equalTo("Malformed JSON")).body("detail", not(containsString("at io.")));
        admin().body("[1, 2]").post("/v1/spaces/base/generate").then().statusCode(400).contentType(PROBLEM);
    }

    @Test
    void wrongTypesAre400NamingTheField() {
        admin().body(Map.of("prompt", "The capital of France is", "max_new_tokens", "five")).post("/v1/spaces/base/generate")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("max_new_tokens"));
        admin().body(Map.of("prompt", 42)).post("/v1/spaces/base/generate")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("prompt"));
        admin().body(Map.of("prompt", "x", "max_new_tokens", 2.5)).post("/v1/spaces/base/generate")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("max_new_tokens"));
        admin().body(Map.of("method", "FT-M", "requests", List.of(Map.of("prompt", List.of("a"), "target_new", "b"))))
                .post("/v1/spaces/base/edits").then().statusCode(400).contentType(PROBLEM)
                .body("field", equalTo("requests[0].prompt"));
        admin().body(Map.of("name", "exp", "arms", List.of(Map.of("space", "base", "weight", "heavy"))))
                .post("/v1/experiments").then().statusCode(400).contentType(PROBLEM).body("field", equalTo("arms[0].weight"));
    }

    @Test
    void unknownFieldsAre400NamingTheField() {
        admin().body(Map.of("prompt", "x", "max_tokens", 3)).post("/v1/spaces/base/generate").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("max_tokens")).body("detail", containsString("max_new_tokens"));
        admin().body(Map.of("method", "FT-M", "requests", List.of(Map.of("prompt", "a", "target_new", "b", "targt", "c"))))
                .post("/v1/spaces/base/edits").then().statusCode(400).contentType(PROBLEM)
                .body("field", equalTo("requests[0].targt"));
    }

    @Test
    void missingAndInvalidValuesAre400() {
        admin().body(Map.of("max_new_tokens", 3)).post("/v1/spaces/base/generate").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("prompt"));
        admin().body(Map.of("prompt", "x", "max_new_tokens", -1)).post("/v1/spaces/base/generate").then().statusCode(400)
                .body("field", equalTo("max_new_tokens"));
        admin().body(Map.of("prompt", "x", "top_p", 0)).post("/v1/spaces/base/generate").then().statusCode(400)
                .body("field", equalTo("top_p"));
        admin().body(Map.of("name", "Bad Name!", "phase", "mastery")).post("/v1/spaces").then().statusCode(400)
                .body("field", equalTo("name"));
        admin().body(Map.of("name", "fine-name", "phase", "cortex")).post("/v1/spaces").then().statusCode(400)
                .body("field", equalTo("phase"));
        String space = newSpace("valid");
        admin().body(Map.of("method", "FT-M", "requests", List.of(Map.of("prompt", "The capital of France is", "subject", "France"))))
                .post("/v1/spaces/" + space + "/edits").then().statusCode(400).body("field", equalTo("requests[0].target_new"));
        admin().body(Map.of("method", "FT-M", "hparams", Map.of("no_such_hparam", 1), "requests", List.of(franceToBerlin())))
                .post("/v1/spaces/" + space + "/edits").then().statusCode(400).contentType(PROBLEM)
                .body("phase", equalTo("mastery")).body("detail", containsString("no_such_hparam"));
    }

    @Test
    void oversizedInputIs413() {
        admin().body(Map.of("prompt", "a".repeat(2001))).post("/v1/spaces/base/generate").then().statusCode(413)
                .contentType(PROBLEM).body("field", equalTo("prompt"));
        String space = newSpace("big");
        admin().body(Map.of("method", "FT-M", "requests", Collections.nCopies(65, franceToBerlin())))
                .post("/v1/spaces/" + space + "/edits").then().statusCode(413).contentType(PROBLEM)
                .body("field", equalTo("requests"));
        admin().body("{\"prompt\": \"" + "a".repeat(1_100_000) + "\"}").post("/v1/spaces/base/generate")
                .then().statusCode(413).contentType(PROBLEM);
        admin().body(Map.of("prompt", "x", "max_new_tokens", 10_000)).post("/v1/spaces/base/generate").then().statusCode(400)
                .body("field", equalTo("max_new_tokens"));
    }

    @Test
    void unknownRoutesAndMethodsAreProblems() {
        admin().get("/v1/nothing-here").then().statusCode(404).contentType(PROBLEM);
        admin().put("/v1/methods").then().statusCode(405).contentType(PROBLEM);
        admin().contentType("text/plain").body("hello").post("/v1/spaces/base/generate").then().statusCode(415)
                .contentType(PROBLEM);
    }
}
