package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import dev.emend.gateway.entity.EditOperationEntity;
import dev.emend.gateway.repository.EditOperationRepository;
import dev.emend.gateway.service.OperationService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static dev.emend.gateway.GatewayTestSupport.as;
import static dev.emend.gateway.GatewayTestSupport.awaitFinished;
import static dev.emend.gateway.GatewayTestSupport.franceToBerlin;
import static dev.emend.gateway.GatewayTestSupport.newKey;
import static dev.emend.gateway.GatewayTestSupport.newSpace;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long edits as operations, through the gateway into the real mastery-service: accepted with 202,
 * followed to their result, idempotent by key, cancelled while queued, and resumed after a
 * (simulated) gateway crash without applying anything twice.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class OperationsTest {
    @Inject
    OperationService operations;
    @Inject
    EditOperationRepository repo;

    private static Map<String, Object> ftM(int steps, Map<String, Object> request) {
        return Map.of("method", "FT-M", "hparams", Map.of("num_steps", steps), "requests", List.of(request));
    }

    /** An FT-M edit that cannot reach its early stop (a learning rate of 1e-9): it runs all its steps. */
    private static Map<String, Object> slowFtM(int steps, Map<String, Object> request) {
        return Map.of("method", "FT-M", "hparams", Map.of("num_steps", steps, "lr", 1e-9), "requests", List.of(request));
    }

    @Test
    void anOperationIsAcceptedFollowedAndIdempotentByKey() throws Exception {
        String space = newSpace("op");
        String editor = newKey("editor", List.of(space), null);
        var accepted = as(editor).header("Idempotency-Key", "op-key-1").body(ftM(25, franceToBerlin()))
                .post("/v1/spaces/" + space + "/operations").then().statusCode(202)
                .header("Location", containsString("/v1/operations/"))
                .body("status", org.hamcrest.Matchers.oneOf("queued", "running")).body("space", equalTo(space))
                .body("requests", equalTo(1)).extract().jsonPath();
        String id = accepted.getString("id");
        JsonPath done = awaitFinished(editor, id);
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertEquals(1.0, done.getDouble("progress.fraction"));
        assertEquals(1, done.getList("result.edits").size());
        String editId = done.getString("result.edits[0].id");
        as(editor).get("/v1/spaces/" + space + "/edits/" + editId).then().statusCode(200).body("status", equalTo("live"));
        String text = as(editor).body(Map.of("prompt", "The capital of France is", "max_new_tokens", 4))
                .post("/v1/spaces/" + space + "/generate").then().statusCode(200).extract().path("text");
        assertTrue(text.startsWith(" Berlin"), text);

        // the same key and body: the same operation; another body under the key: 409
        as(editor).header("Idempotency-Key", "op-key-1").body(ftM(25, franceToBerlin()))
                .post("/v1/spaces/" + space + "/operations").then().statusCode(202).body("id", equalTo(id));
        as(editor).header("Idempotency-Key", "op-key-1").body(ftM(24, franceToBerlin()))
                .post("/v1/spaces/" + space + "/operations").then().statusCode(409)
                .contentType("application/problem+json");
        as(editor).post("/v1/operations/" + id + "/cancel").then().statusCode(409).body("detail", containsString("succeeded"));
        as(editor).get("/v1/operations?space=" + space).then().statusCode(200).body("operations.id", org.hamcrest.Matchers.hasItem(id));
        as(editor).get("/v1/operations?status=bogus").then().statusCode(400).body("field", equalTo("status"));
        as(editor).get("/v1/operations/no-such-op").then().statusCode(404);
        // invalid calls are refused at once, as on the synchronous endpoint, and never become operations
        as(editor).body(Map.of("method", "NO-SUCH", "requests", List.of(franceToBerlin())))
                .post("/v1/spaces/" + space + "/operations").then().statusCode(400).body("field", equalTo("method"));
        assertEquals(1, as(editor).get("/v1/spaces/" + space + "/edits").then().statusCode(200).extract()
                .jsonPath().getList("edits").size());
    }

    @Test
    void aQueuedOperationIsCancelledAndAppliesNothing() throws Exception {
        String space = newSpace("opcancel");
        // a long edit (300 steps that never stop early: several seconds) occupies the phase's single edit thread ...
        String longOne = admin().body(slowFtM(300, franceToBerlin())).post("/v1/spaces/" + space + "/operations")
                .then().statusCode(202).extract().path("id");
        // ... so this one waits (in the gateway or in the phase's queue) and is cancelled there
        Map<String, Object> rome = Map.of("prompt", "The capital of Japan is", "subject", "Japan", "target_new", "Rome");
        String queued = admin().body(ftM(25, rome)).post("/v1/spaces/" + space + "/operations")
                .then().statusCode(202).extract().path("id");
        admin().post("/v1/operations/" + queued + "/cancel").then().statusCode(200).body("cancel_requested", equalTo(true));
        JsonPath cancelled = awaitFinished(ADMIN, queued);
        assertEquals("cancelled", cancelled.getString("status"), cancelled.prettify());
        assertTrue(cancelled.getString("error.detail").contains("nothing was applied"), cancelled.prettify());
        JsonPath first = awaitFinished(ADMIN, longOne);
        assertEquals("succeeded", first.getString("status"), first.prettify());
        List<String> prompts = admin().get("/v1/spaces/" + space + "/edits").then().statusCode(200).extract()
                .jsonPath().getList("edits.request.prompt");
        assertEquals(List.of("The capital of France is"), prompts, "only the long edit reached the ledger");
    }

    /** A running FT-M edit is cancelled mid-training: its next progress report stops it, nothing is written. */
    @Test
    void aRunningOperationIsCancelledMidEdit() throws Exception {
        String space = newSpace("oprun");
        String id = admin().body(slowFtM(2000, franceToBerlin())).post("/v1/spaces/" + space + "/operations")
                .then().statusCode(202).extract().path("id");
        JsonPath running = null;
        for (int i = 0; i < 3000; i++) {
            running = admin().get("/v1/operations/" + id).then().statusCode(200).extract().jsonPath();
            if ("fine-tuning".equals(running.getString("progress.stage")) && running.getDouble("progress.fraction") > 0) {
                break;
            }
            Thread.sleep(100);
        }
        assertEquals("fine-tuning", running.getString("progress.stage"), running.prettify());
        admin().post("/v1/operations/" + id + "/cancel").then().statusCode(200);
        JsonPath done = awaitFinished(ADMIN, id);
        assertEquals("cancelled", done.getString("status"), done.prettify());
        assertTrue(done.getString("error.detail").contains("cancelled by CancelEdit"), done.prettify());
        assertTrue(done.getDouble("progress.fraction") < 1.0, done.prettify());
        assertEquals(0, admin().get("/v1/spaces/" + space + "/edits").then().statusCode(200).extract()
                .jsonPath().getList("edits").size(), "nothing of the cancelled edit was applied");
    }

    @Test
    void anOperationLeftRunningByACrashIsResumedWithoutApplyingTwice() throws Exception {
        String space = newSpace("opresume");
        String id = admin().body(ftM(25, franceToBerlin())).post("/v1/spaces/" + space + "/operations")
                .then().statusCode(202).extract().path("id");
        JsonPath done = awaitFinished(ADMIN, id);
        String editId = done.getString("result.edits[0].id");
        // as if the gateway had died after sending the call and before recording its answer
        QuarkusTransaction.requiringNew().run(() -> {
            EditOperationEntity op = repo.findById(id);
            op.status = EditOperationEntity.RUNNING;
            op.result = null;
            op.finishedAt = null;
        });
        assertTrue(operations.resumeUnfinished().contains(id));
        JsonPath resumed = awaitFinished(ADMIN, id);
        assertEquals("succeeded", resumed.getString("status"));
        assertEquals(editId, resumed.getString("result.edits[0].id"), "the phase answered the re-sent key with the first edit");
        assertEquals(2, resumed.getInt("attempts"));
        assertEquals(1, admin().get("/v1/spaces/" + space + "/edits").then().statusCode(200).extract()
                .jsonPath().getList("edits").size(), "nothing was applied twice");
    }

    /**
     * The phase service is killed (SIGKILL) while it computes an operation's edit: the operation
     * waits, re-sends the call with its key once the service is back, and ends with one edit.
     * A crash test, so in the slow tier ({@code -Pslow}).
     */
    @Test
    @org.junit.jupiter.api.Tag("slow")
    void anOperationSurvivesACrashOfThePhaseThatRunsIt() throws Exception {
        String space = newSpace("opcrash");
        String id = admin().body(slowFtM(1000, franceToBerlin())).post("/v1/spaces/" + space + "/operations")
                .then().statusCode(202).extract().path("id");
        for (int i = 0; i < 600; i++) {
            JsonPath op = admin().get("/v1/operations/" + id).then().statusCode(200).extract().jsonPath();
            if ("running".equals(op.getString("status")) && op.getInt("progress.units_total") == 1) {
                break; // the phase has it: its progress came back through GetEditProgress
            }
            Thread.sleep(100);
        }
        GatewayStack.mastery().kill9();
        GatewayStack.mastery().restart();
        JsonPath done = awaitFinished(ADMIN, id);
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertTrue(done.getInt("attempts") >= 2, "re-sent after the crash: " + done.prettify());
        assertEquals(1, admin().get("/v1/spaces/" + space + "/edits").then().statusCode(200).extract()
                .jsonPath().getList("edits").size());
    }

    private static final String ADMIN = dev.emend.gateway.GatewayTestSupport.ADMIN_KEY;
}
