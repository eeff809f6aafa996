package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static dev.emend.gateway.GatewayTestSupport.as;
import static dev.emend.gateway.GatewayTestSupport.franceToBerlin;
import static dev.emend.gateway.GatewayTestSupport.newKey;
import static dev.emend.gateway.GatewayTestSupport.newSpace;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An edit through the gateway into the real mastery-service (FT-M) changes its space and not
 * base; an idempotent retry returns the first result; rollback restores the answer; all audited.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class EditFlowTest {
    private static final String PROMPT = "The capital of France is";

    private static String generate(String key, String space) {
        return as(key).body(Map.of("prompt", PROMPT, "max_new_tokens", 4)).post("/v1/spaces/" + space + "/generate")
                .then().statusCode(200).body("space", equalTo(space)).body("phase", equalTo("mastery"))
                .extract().path("text");
    }

    @Test
    void methodsCatalogueListsMasteryMethodsWithHparams() {
        admin().get("/v1/methods").then().statusCode(200)
                .body("methods.findAll { it.phase == 'mastery' }.name", hasItems("FT-M", "ROME"))
                .body("methods.find { it.name == 'FT-M' }.hparams.size()", org.hamcrest.Matchers.greaterThan(0))
                .body("methods.find { it.name == 'FT-M' }.hparams.name", hasItem("layers"))
                .body("phases.find { it.phase == 'mastery' }.status", equalTo("available"));
    }

    @Test
    void editChangesItsSpaceNotBaseRetryIsIdempotentAndRollbackRestores() {
        String space = newSpace("flow");
        String editor = newKey("editor", List.of(space), null);
        String baseBefore = generate(editor, "base");
        String spaceBefore = generate(editor, space);
        assertEquals(baseBefore, spaceBefore, "a new space answers like base");
        assertFalse(baseBefore.startsWith(" Berlin"), "the base model does not already say Berlin: " + baseBefore);
        double lpBefore = as(editor).body(Map.of("prompt", PROMPT, "target", "Berlin")).post("/v1/spaces/" + space + "/score")
                .then().statusCode(200).extract().jsonPath().getDouble("sum_log_prob");

        Map<String, Object> body = Map.of("method", "FT-M", "requests", List.of(franceToBerlin()));
        Response first = as(editor).header("Idempotency-Key", "flow-key-1").body(body).post("/v1/spaces/" + space + "/edits");
        first.then().statusCode(200).body("phase", equalTo("mastery")).body("space", equalTo(space))
                .body("edits.size()", equalTo(1)).body("edits[0].status", equalTo("live"))
                .body("model_version.sequence", equalTo(1)).body("method", equalTo("FT-M"))
                .body("edits[0].request.target_new", equalTo("Berlin"));
        String editId = first.path("edits[0].id");

        // The client retries (e.g. after a lost answer): same key, same request -> the first result.
        as(editor).header("Idempotency-Key", "flow-key-1").body(body).post("/v1/spaces/" + space + "/edits")
                .then().statusCode(200).body("edits[0].id", equalTo(editId)).body("model_version.sequence", equalTo(1));
        as(editor).get("/v1/spaces/" + space + "/edits").then().statusCode(200).body("edits.size()", equalTo(1))
                .body("edits[0].id", equalTo(editId));
        as(editor).get("/v1/spaces/" + space + "/edits/" + editId).then().statusCode(200).body("status", equalTo("live"));

        String spaceAfter = generate(editor, space);
        assertTrue(spaceAfter.startsWith(" Berlin"), "the edited space answers with the new target: '" + spaceAfter + "'");
        assertEquals(baseBefore, generate(editor, "base"), "base is untouched");
        double lpAfter = as(editor).body(Map.of("prompt", PROMPT, "target", "Berlin")).post("/v1/spaces/" + space + "/score")
                .then().statusCode(200).body("token_accuracy", equalTo(1.0f)).body("model_version.sequence", equalTo(1))
                .extract().jsonPath().getDouble("sum_log_prob");
        assertTrue(lpAfter > lpBefore + 1, lpBefore + " -> " + lpAfter);

        as(editor).delete("/v1/spaces/" + space + "/edits/" + editId).then().statusCode(200)
                .body("kind", equalTo("exact")).body("edit.status", equalTo("rolled_back"))
                .body("model_version.sequence", equalTo(2));
        assertEquals(baseBefore, generate(editor, space), "rollback restores the base answer");
        as(editor).delete("/v1/spaces/" + space + "/edits/" + editId).then().statusCode(409)
                .contentType("application/problem+json").body("phase", equalTo("mastery"));

        // Every edit and rollback is in the audit trail with the key that made it.
        admin().queryParam("space", space).get("/v1/audit").then().statusCode(200)
                .body("action", hasItems("space.create", "edit.apply", "edit.rollback"))
                .body("find { it.action == 'edit.apply' && it.outcome == 'ok' }.edit_ids", hasItem(editId))
                .body("find { it.action == 'edit.rollback' && it.outcome == 'ok' }.role", equalTo("editor"))
                .body("find { it.action == 'edit.rollback' && it.outcome == 'refused' }.http_status", equalTo(409));
        String auditText = admin().get("/v1/audit").asString();
        assertFalse(auditText.contains(editor), "the audit never holds a key");
    }

    @Test
    void aMethodOfAnotherPhaseOrAnUnknownMethodIsRefusedBeforeAnythingIsApplied() {
        String space = newSpace("refuse");
        admin().body(Map.of("method", "NO-SUCH", "requests", List.of(franceToBerlin()))).post("/v1/spaces/" + space + "/edits")
                .then().statusCode(400).contentType("application/problem+json").body("field", equalTo("method"))
                .body("detail", containsString("FT-M"));
        admin().body(Map.of("method", "FT-M", "requests", List.of(franceToBerlin()))).post("/v1/spaces/base/edits")
                .then().statusCode(409).contentType("application/problem+json");
        admin().body(Map.of("method", "FT-M", "requests", List.of(Map.of("prompt", "x", "subject", "x", "target_new", "y"))))
                .post("/v1/spaces/nope-" + System.nanoTime() + "/edits").then().statusCode(404)
                .contentType("application/problem+json");
        admin().get("/v1/spaces/" + space + "/edits").then().statusCode(200).body("edits.size()", equalTo(0));
        assertNotEquals(null, space);
    }
}
