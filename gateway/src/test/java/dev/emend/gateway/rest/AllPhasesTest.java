package dev.emend.gateway.rest;

import dev.emend.gateway.AllPhasesStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An edit through each phase, routed by the gateway, changes its space and not base; rollback restores. */
@QuarkusTest
@QuarkusTestResource(value = AllPhasesStack.class, restrictToAnnotatedClass = true)
class AllPhasesTest {
    private static final String PROMPT = "The capital of France is";

    private static String generate(String space, String phase) {
        return admin().body(Map.of("prompt", PROMPT, "max_new_tokens", 3))
                .post("/v1/spaces/" + space + "/generate" + (space.equals("base") ? "?phase=" + phase : ""))
                .then().statusCode(200).body("phase", equalTo(phase)).extract().path("text");
    }

    @ParameterizedTest
    @CsvSource({"recognition,SERAC", "association,GRACE", "mastery,FT-M"})
    void anEditThroughEachPhaseChangesOnlyItsSpace(String phase, String method) {
        String space = "all-" + phase;
        admin().body(Map.of("name", space, "phase", phase)).post("/v1/spaces").then().statusCode(201);
        String base = generate("base", phase);
        assertFalse(base.startsWith(" Rome"), "base does not already say Rome: " + base);
        String id = admin().body(Map.of("method", method, "requests",
                        List.of(Map.of("prompt", PROMPT, "subject", "France", "target_new", "Rome"))))
                .post("/v1/spaces/" + space + "/edits").then().statusCode(200)
                .body("phase", equalTo(phase)).body("model_version.sequence", equalTo(1))
                .extract().path("edits[0].id");
        assertTrue(generate(space, phase).startsWith(" Rome"), phase + " space answers with the edit");
        assertEquals(base, generate("base", phase), phase + " base is untouched");
        admin().delete("/v1/spaces/" + space + "/edits/" + id).then().statusCode(200).body("kind", equalTo("exact"));
        assertEquals(base, generate(space, phase), phase + " rollback restores the answer");
    }
}
