package dev.emend.gateway.rest;

import dev.emend.testing.ServiceProcess;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static dev.emend.gateway.GatewayTestSupport.admin;
import static dev.emend.gateway.GatewayTestSupport.as;
import static dev.emend.gateway.GatewayTestSupport.awaitFinished;
import static dev.emend.gateway.GatewayTestSupport.franceToBerlin;
import static dev.emend.gateway.GatewayTestSupport.newKey;
import static dev.emend.gateway.GatewayTestSupport.newSpace;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MEND's editor trained through the API (POST /v1/methods/MEND/training) by the real
 * mastery-service on the default model with a few steps: accepted as an operation, followed to its
 * result, written next to the model with the model's fingerprint and used by a MEND edit at once;
 * idempotent by key; refused without overwrite, for methods that need no training, for files
 * outside the data set directories and for editor paths; a second training while one runs is
 * refused; a cancel mid-training leaves no editor file.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class TrainingOperationsTest {
    private static final Path MEND_DIR = ServiceProcess.repoRoot().resolve("models/emend-facts/mend");
    private static final List<String> EDITORS = new ArrayList<>();

    /** A fresh editor name (its file is removed after the class). */
    private static String editorName() {
        String name = "gwtest-" + UUID.randomUUID().toString().substring(0, 8);
        EDITORS.add(name);
        return name;
    }

    @AfterAll
    static void removeEditors() throws IOException {
        for (String name : EDITORS) {
            Files.deleteIfExists(MEND_DIR.resolve(name + ".safetensors"));
        }
    }

    /** The smallest training that runs the whole path: {@code steps} steps on a few zsRE cases, one validation at the end. */
    private static Map<String, Object> training(String editor, int steps) {
        return Map.of("train_files", List.of("benchmarks/emend-facts/zsre-train.json"), "val_fraction", 0.02,
                "hparams", Map.of("editor", editor, "max_iters", steps, "accumulate_bs", 2, "val_interval", 100_000, "val_steps", 2));
    }

    /** The safetensors header's __metadata__ of a file. */
    private static Map<String, Object> metadata(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            byte[] len = new byte[8];
            f.readFully(len);
            long n = java.nio.ByteBuffer.wrap(len).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] header = new byte[(int) n];
            f.readFully(header);
            return JsonPath.from(new String(header, StandardCharsets.UTF_8)).getMap("__metadata__");
        }
    }

    private static String masteryFingerprint() {
        return admin().get("/v1/methods").then().statusCode(200).extract().jsonPath()
                .getString("phases.find { it.phase == 'mastery' }.model.fingerprint");
    }

    @Test
    void aTrainingIsFollowedToAnEditorFileThatMendEditsWithAtOnce() throws Exception {
        String space = newSpace("train");
        String editor = newKey("editor", List.of(space), null);
        String name = editorName();
        admin().get("/v1/methods").then().statusCode(200)
                .body("methods.find { it.name == 'MEND' }.trainable", equalTo(true))
                .body("methods.find { it.name == 'FT-M' }.trainable", equalTo(false));
        JsonPath accepted = as(editor).header("Idempotency-Key", "train-" + name).body(training(name, 3))
                .post("/v1/methods/MEND/training").then().statusCode(202)
                .header("Location", containsString("/v1/operations/")).body("kind", equalTo("training"))
                .body("method", equalTo("MEND")).body("phase", equalTo("mastery")).body("space", nullValue())
                .extract().jsonPath();
        String id = accepted.getString("id");
        JsonPath done = awaitFinished(editor, id);
        assertEquals("succeeded", done.getString("status"), done.prettify());
        assertEquals(1.0, done.getDouble("progress.fraction"));
        Path file = MEND_DIR.resolve(name + ".safetensors");
        assertEquals(file.toRealPath().toString(), done.getString("trained.file"));
        String fingerprint = masteryFingerprint();
        assertEquals(fingerprint, done.getString("trained.model_fingerprint"));
        assertEquals(fingerprint, metadata(file).get("fingerprint"));
        assertEquals("3", metadata(file).get("steps"));
        assertTrue(done.getString("trained.summary").contains("step 3/3"), done.getString("trained.summary"));
        // listed with the edit operations
        admin().get("/v1/operations?limit=1000").then().statusCode(200)
                .body("operations.find { it.id == '" + id + "' }.kind", equalTo("training"));

        // the served MEND uses the new editor without a restart
        as(editor).body(Map.of("method", "MEND", "hparams", Map.of("editor", name), "requests", List.of(franceToBerlin())))
                .post("/v1/spaces/" + space + "/edits").then().statusCode(200).body("edits", org.hamcrest.Matchers.hasSize(1))
                .body("method", equalTo("MEND"));

        // the same key and body: the same operation; a new training over the editor without overwrite: 409
        as(editor).header("Idempotency-Key", "train-" + name).body(training(name, 3)).post("/v1/methods/MEND/training")
                .then().statusCode(202).body("id", equalTo(id));
        as(editor).body(training(name, 3)).post("/v1/methods/MEND/training").then().statusCode(409)
                .body("detail", containsString("\"overwrite\": true"));
    }

    @Test
    void requestsThatCannotTrainAreRefusedBeforeAnythingIsAccepted() {
        String reader = newKey("reader", List.of(), null);
        as(reader).body(training("x", 1)).post("/v1/methods/MEND/training").then().statusCode(403);
        admin().body(training("x", 1)).post("/v1/methods/FT-M/training").then().statusCode(400)
                .body("detail", containsString("needs no training")).body("detail", containsString("[MEND]"));
        admin().body(training("x", 1)).post("/v1/methods/NO-SUCH/training").then().statusCode(400)
                .body("detail", containsString("Unknown method"));
        for (String outside : List.of("/etc/passwd", "benchmarks/../models/emend-facts/facts.json")) {
            admin().body(Map.of("train_files", List.of(outside), "hparams", Map.of("editor", "x")))
                    .post("/v1/methods/MEND/training").then().statusCode(403)
                    .body("detail", containsString("outside the data set directories"));
        }
        admin().body(Map.of("train_files", List.of("benchmarks/no-such.json"))).post("/v1/methods/MEND/training")
                .then().statusCode(404);
        admin().body(Map.of("hparams", Map.of("editor", "/tmp/elsewhere.safetensors"))).post("/v1/methods/MEND/training")
                .then().statusCode(400).body("detail", containsString("outside the model directory"));
        admin().body(Map.of("hparams", Map.of("no_such_hparam", 1))).post("/v1/methods/MEND/training").then().statusCode(400);
        admin().body(Map.of("val_fraction", 1.0)).post("/v1/methods/MEND/training").then().statusCode(400);
    }

    @Test
    void aCancelMidTrainingLeavesNoEditorAndASecondTrainingWaitsItsTurn() throws Exception {
        String name = editorName();
        String id = admin().body(training(name, 100_000)).post("/v1/methods/MEND/training").then().statusCode(202)
                .extract().path("id");
        JsonPath op = null;
        for (int i = 0; i < 3000; i++) {
            op = admin().get("/v1/operations/" + id).then().statusCode(200).extract().jsonPath();
            if ("running".equals(op.getString("status")) && op.getDouble("progress.fraction") > 0) {
                break;
            }
            Thread.sleep(100);
        }
        assertTrue(op.getString("progress.stage").contains("MEND training, step"), op.prettify());
        admin().body(training(editorName(), 1)).post("/v1/methods/MEND/training").then().statusCode(409)
                .body("detail", containsString("is running"));
        admin().post("/v1/operations/" + id + "/cancel").then().statusCode(200).body("cancel_requested", equalTo(true));
        JsonPath done = awaitFinished(dev.emend.gateway.GatewayTestSupport.ADMIN_KEY, id);
        assertEquals("cancelled", done.getString("status"), done.prettify());
        assertFalse(Files.exists(MEND_DIR.resolve(name + ".safetensors")), "a cancelled training wrote its editor");
        try (Stream<Path> left = Files.list(MEND_DIR)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains(name)), "a temporary file of the training is left");
        }
    }
}
