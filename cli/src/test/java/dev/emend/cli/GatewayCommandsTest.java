package dev.emend.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.testing.EmbeddedPostgresResource;
import dev.emend.testing.ServiceProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway commands of {@code ./emend} against the real thing: embedded PostgreSQL, the
 * packaged mastery-service and the packaged gateway, each its own process (recognition,
 * association and evaluation-service are down: their ports are closed). The CLI runs in-process;
 * the gateway URL and key come from the system properties that stand in for
 * {@code EMEND_GATEWAY_URL} and {@code EMEND_API_KEY}.
 */
class GatewayCommandsTest {
    private static final String ADMIN_KEY = "cli-test-admin-key-0123456789";
    private static final String PROMPT = "The capital of France is";
    private static ServiceProcess mastery;
    private static ServiceProcess gateway;

    @BeforeAll
    static void startStack() {
        String jdbc = EmbeddedPostgresResource.freshDatabase();
        mastery = ServiceProcess.start("mastery-service", jdbc, Map.of());
        gateway = ServiceProcess.start("gateway", jdbc, Map.of(
                "EMEND_GATEWAY_BOOTSTRAP_ADMIN_KEY", ADMIN_KEY,
                "EMEND_PHASES_MASTERY_PORT", Integer.toString(mastery.port()),
                "EMEND_PHASES_RECOGNITION_PORT", Integer.toString(closedPort()),
                "EMEND_PHASES_ASSOCIATION_PORT", Integer.toString(closedPort()),
                "EMEND_EVALUATION_PORT", Integer.toString(closedPort())));
        System.setProperty("emend.gateway.url", "http://localhost:" + gateway.port());
        System.setProperty("emend.api.key", ADMIN_KEY);
    }

    @AfterAll
    static void stopStack() {
        System.clearProperty("emend.gateway.url");
        System.clearProperty("emend.api.key");
        if (gateway != null) {
            gateway.close();
        }
        if (mastery != null) {
            mastery.close();
        }
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static CliTestSupport.Run ok(String... args) {
        CliTestSupport.Run r = CliTestSupport.run(args);
        assertEquals(0, r.code(), () -> String.join(" ", args) + "\nout: " + r.out() + "\nerr: " + r.err()
                + "\ngateway log: " + gateway.tail());
        return r;
    }

    private static JsonObject json(String... args) {
        String[] withJson = java.util.Arrays.copyOf(args, args.length + 1);
        withJson[args.length] = "--json";
        return JsonParser.parseString(ok(withJson).out()).getAsJsonObject();
    }

    private static String generate(String space) {
        return json("generate", PROMPT, "--space", space, "--max-tokens", "4").get("text").getAsString();
    }

    @Test
    void editInspectRollBackThroughTheGateway() {
        ok("spaces", "create", "cli-flow", "--phase", "mastery", "--description", "cli test");
        CliTestSupport.Run listed = ok("spaces");
        assertTrue(listed.out().lines().anyMatch(l -> l.startsWith("cli-flow") && l.contains("mastery") && l.contains("cli test")), listed.out());

        String before = generate("cli-flow");
        assertEquals(generate("base"), before, "a new space answers like base");
        assertFalse(before.startsWith(" Berlin"), before);

        // no --method: the phase's default, the first method GET /v1/methods lists for mastery
        CliTestSupport.Run edit = ok("edit", "cli-flow", "--prompt", PROMPT, "--subject", "France", "--target", "Berlin",
                "--ground-truth", "Paris", "--idempotency-key", "cli-flow-1");
        assertTrue(edit.err().contains("--method not given; using FT-M (the mastery default)"), edit.err());
        assertTrue(edit.out().contains("space cli-flow (mastery) is now at sequence 1"), edit.out());
        JsonObject ledger = json("edits", "cli-flow");
        JsonArray edits = ledger.getAsJsonArray("edits");
        assertEquals(1, edits.size());
        String id = edits.get(0).getAsJsonObject().get("id").getAsString();
        assertEquals("live", edits.get(0).getAsJsonObject().get("status").getAsString());
        assertTrue(edit.out().contains(id), edit.out());

        // The same Idempotency-Key again: the first result, no second edit.
        JsonObject again = json("edit", "cli-flow", "--prompt", PROMPT, "--subject", "France", "--target", "Berlin",
                "--ground-truth", "Paris", "--method", "FT-M", "--idempotency-key", "cli-flow-1");
        assertEquals(id, again.getAsJsonArray("edits").get(0).getAsJsonObject().get("id").getAsString());
        assertEquals(1, json("edits", "cli-flow").getAsJsonArray("edits").size());
        // edits go as operations (followed on stderr); --sync sends the plain request, same key, same edit
        assertTrue(edit.err().contains("operation ") && edit.err().contains("succeeded"), edit.err());
        JsonObject sync = json("edit", "cli-flow", "--prompt", PROMPT, "--subject", "France", "--target", "Berlin",
                "--ground-truth", "Paris", "--method", "FT-M", "--idempotency-key", "cli-flow-1", "--sync");
        assertEquals(id, sync.getAsJsonArray("edits").get(0).getAsJsonObject().get("id").getAsString());
        CliTestSupport.Run ops = ok("operations", "--space", "cli-flow");
        assertTrue(ops.out().lines().anyMatch(l -> l.contains("cli-flow") && l.contains("FT-M") && l.contains("succeeded")), ops.out());
        String opId = ops.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0];
        CliTestSupport.Run one0 = ok("operations", opId);
        assertTrue(one0.out().startsWith("operation " + opId + " on cli-flow (FT-M): succeeded"), one0.out());
        CliTestSupport.Run cancelDone = CliTestSupport.run("operations", opId, "--cancel");
        assertEquals(2, cancelDone.code(), cancelDone.err());
        assertTrue(cancelDone.err().contains("-> 409: "), cancelDone.err());

        assertTrue(generate("cli-flow").startsWith(" Berlin"), "the edited space answers with the new target");
        CliTestSupport.Run score = ok("score", PROMPT, "Berlin", "--space", "cli-flow");
        assertTrue(score.out().contains("token accuracy: 1.000"), score.out());
        assertTrue(score.err().contains("[space cli-flow, mastery phase, sequence 1]"), score.err());

        CliTestSupport.Run table = ok("edits", "cli-flow");
        assertTrue(table.out().lines().anyMatch(l -> l.startsWith("1 ") && l.contains(id) && l.contains("FT-M") && l.contains("live")
                && l.contains("Berlin")), table.out());
        CliTestSupport.Run one = ok("edits", "cli-flow", id);
        assertTrue(one.out().contains("request.target_new") && one.out().contains("Berlin"), one.out());

        CliTestSupport.Run rolled = ok("rollback", "cli-flow", id);
        assertTrue(rolled.out().startsWith("rolled back edit " + id + " in cli-flow (exact); space now at sequence 2"), rolled.out());
        assertEquals(before, generate("cli-flow"), "rollback restores the answer");
        CliTestSupport.Run after = ok("edits", "cli-flow");
        assertTrue(after.out().lines().anyMatch(l -> l.contains(id) && l.contains("rolled_back")), after.out());

        // Rolling back twice is the gateway's 409, shown with its detail; exit 2 (the request was refused).
        CliTestSupport.Run twice = CliTestSupport.run("rollback", "cli-flow", id);
        assertEquals(2, twice.code(), twice.err());
        assertTrue(twice.err().startsWith("emend rollback: DELETE /v1/spaces/cli-flow/edits/" + id + " -> 409: "), twice.err());

        CliTestSupport.Run spaces = ok("spaces");
        assertTrue(spaces.out().lines().anyMatch(l -> l.startsWith("cli-flow") && l.contains(" 2 ")), spaces.out());
        ok("spaces", "delete", "cli-flow");
        assertFalse(ok("spaces").out().contains("cli-flow"));
    }

    @Test
    void trainMendRemoteTrainsTheServedModelsEditorAndOperationsListsIt() throws IOException {
        String name = "clitest-" + java.util.UUID.randomUUID().toString().substring(0, 8);
        java.nio.file.Path file = ServiceProcess.repoRoot().resolve("models/emend-facts/mend/" + name + ".safetensors");
        String[] args = {"train-mend", "--remote", "--train", "benchmarks/emend-facts/zsre-train.json", "--val-fraction", "0.02",
            "--set", "editor=" + name, "--set", "max_iters=2", "--set", "accumulate_bs=2", "--set", "val_steps=1",
            "--set", "val_interval=100000"};
        try {
            CliTestSupport.Run r = ok(args);
            assertTrue(r.err().contains("succeeded"), r.err());
            assertTrue(java.nio.file.Files.isRegularFile(file), file + " missing");
            assertTrue(r.out().contains("trained " + file.toRealPath()) && r.out().contains("step 2/2"), r.out());
            CliTestSupport.Run ops = ok("operations");
            assertTrue(ops.out().lines().anyMatch(l -> l.contains("training") && l.contains("MEND") && l.contains("succeeded")),
                    ops.out());
            CliTestSupport.Run again = CliTestSupport.run(args);
            assertEquals(2, again.code(), again.err());
            assertTrue(again.err().contains("\"overwrite\": true"), again.err());
            CliTestSupport.Run local = CliTestSupport.run("train-mend", "--remote", "--model", "models/emend-facts");
            assertEquals(2, local.code(), local.err());
            assertTrue(local.err().contains("leave out --model"), local.err());
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void refusalsShowTheProblemDetailAndExitNonZero() {
        CliTestSupport.Run unknown = CliTestSupport.run("edit", "no-such-space", "--prompt", PROMPT, "--target", "Rome", "--method", "FT-M");
        assertEquals(2, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("-> 404: ") && unknown.err().contains("no-such-space"), unknown.err());

        CliTestSupport.Run badPhase = CliTestSupport.run("spaces", "create", "cli-bad", "--phase", "mystery");
        assertEquals(2, badPhase.code());
        assertTrue(badPhase.err().contains("-> 400: [phase] "), badPhase.err());

        CliTestSupport.Run noDefault = CliTestSupport.run("edit", "no-such-space", "--prompt", PROMPT, "--target", "Rome");
        assertEquals(2, noDefault.code());
        assertTrue(noDefault.err().contains("'no-such-space' is not among the gateway's spaces"), noDefault.err());

        // evaluation-service is down: the gateway's 503 names it; exit 1 (not the user's fault).
        CliTestSupport.Run eval = CliTestSupport.run("evaluate", "--dataset",
                EmendCli.repoRoot().resolve("benchmarks/emend-facts/counterfact.json").toString(), "--methods", "FT-M", "--limit", "1");
        assertEquals(1, eval.code(), eval.err());
        assertTrue(eval.err().contains("POST /v1/evaluations -> 503: "), eval.err());

        String url = System.getProperty("emend.gateway.url");
        try {
            System.setProperty("emend.gateway.url", "http://localhost:" + closedPort());
            CliTestSupport.Run down = CliTestSupport.run("spaces");
            assertEquals(1, down.code());
            assertTrue(down.err().contains("does not answer") && down.err().contains("./emend up"), down.err());
        } finally {
            System.setProperty("emend.gateway.url", url);
        }
    }

    @Test
    void keysAndExperiments() {
        JsonObject key = json("keys", "create", "cli-reader", "--role", "reader");
        String keyId = key.get("id").getAsString();
        assertTrue(key.get("key").getAsString().startsWith("emk_"));
        assertTrue(ok("keys").out().lines().anyMatch(l -> l.startsWith(keyId) && l.contains("cli-reader") && l.contains("reader")));

        // A reader may list but not create spaces: 403 with the gateway's reason.
        ok("spaces", "create", "cli-ab", "--phase", "mastery");
        String admin = System.getProperty("emend.api.key");
        try {
            System.setProperty("emend.api.key", key.get("key").getAsString());
            ok("spaces");
            CliTestSupport.Run refused = CliTestSupport.run("spaces", "create", "cli-nope", "--phase", "mastery");
            assertEquals(2, refused.code());
            assertTrue(refused.err().contains("-> 403: "), refused.err());
        } finally {
            System.setProperty("emend.api.key", admin);
        }

        JsonObject x = json("experiments", "create", "cli-ab-test", "--arm", "cli-ab:3", "--arm", "base@mastery:1");
        String xid = x.get("id").getAsString();
        assertEquals(2, x.getAsJsonArray("arms").size());
        assertTrue(ok("experiments").out().contains(xid));
        CliTestSupport.Run show = ok("experiments", "show", xid);
        assertTrue(show.out().lines().anyMatch(l -> l.contains("cli-ab") && l.contains("0.75")), show.out());

        ok("keys", "revoke", keyId);
        assertFalse(ok("keys").out().contains(keyId));
        try {
            System.setProperty("emend.api.key", key.get("key").getAsString());
            CliTestSupport.Run revoked = CliTestSupport.run("spaces");
            assertEquals(2, revoked.code());
            assertTrue(revoked.err().contains("-> 401: "), revoked.err());
        } finally {
            System.setProperty("emend.api.key", admin);
        }
        assertNotEquals(admin, key.get("key").getAsString());
    }
}
