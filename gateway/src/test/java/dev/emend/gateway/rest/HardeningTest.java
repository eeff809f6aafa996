package dev.emend.gateway.rest;

import dev.emend.gateway.GatewayStack;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.emend.gateway.GatewayTestSupport.ADMIN_KEY;
import static dev.emend.gateway.GatewayTestSupport.admin;
import static dev.emend.gateway.GatewayTestSupport.franceToBerlin;
import static dev.emend.gateway.GatewayTestSupport.newSpace;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The findings of the hostile test pass (issue 21): text that cannot be stored is refused before
 * anything is applied; every failure point of an edit leaves the client's answer and the live
 * state in agreement; every malformed request is a 4xx problem+json naming what is wrong.
 */
@QuarkusTest
@io.quarkus.test.junit.TestProfile(dev.emend.gateway.GatewayStackProfile.class)
class HardeningTest {
    private static final String PROBLEM = "application/problem+json";

    @Inject
    DataSource db;

    @TestHTTPResource("/")
    URL root;

    private static Map<String, Object> edit(Map<String, Object> request) {
        return Map.of("method", "FT-M", "requests", List.of(request));
    }

    private static Map<String, Object> with(String key, Object value) {
        Map<String, Object> r = new HashMap<>(franceToBerlin());
        if (value == null) {
            r.remove(key);
        } else {
            r.put(key, value);
        }
        return r;
    }

    private static int ledgerSize(String space) {
        return admin().get("/v1/spaces/" + space + "/edits").then().statusCode(200).extract().path("edits.size()");
    }

    // ---------------------------------------------------------------- item 1: text policy

    @Test
    void nulSurrogatesAndControlCharactersAreRefusedBeforeAnythingIsApplied() {
        String space = newSpace("text");
        Map<String, String> bad = Map.of("prompt", "The capital of France\u0000 is", "target_new", "Ber\u0000lin",
                "subject", "Fra\u001bnce");
        bad.forEach((field, value) -> admin().body(edit(with(field, value))).post("/v1/spaces/" + space + "/edits")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("requests[0]." + field)));
        // A lone surrogate cannot be sent through a Java string body; write the JSON escape itself.
        admin().body("{\"method\": \"FT-M\", \"requests\": [{\"prompt\": \"The capital of France is\", \"subject\": \"France\", "
                + "\"target_new\": \"Ber\\ud800lin\"}]}").post("/v1/spaces/" + space + "/edits")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("requests[0].target_new"))
                .body("detail", containsString("U+D800"));
        admin().body(Map.of("method", "FT-M", "hparams", Map.of("lay\u0000ers", List.of(0)), "requests", List.of(franceToBerlin())))
                .post("/v1/spaces/" + space + "/edits").then().statusCode(400).body("field", equalTo("hparams.lay\u0000ers"));
        admin().body(edit(with("locality", Map.of("k", List.of(Map.of("prompt", "a\u0007b", "ground_truth", "c"))))))
                .post("/v1/spaces/" + space + "/edits").then().statusCode(400)
                .body("field", equalTo("requests[0].locality.k[0].prompt"));
        assertEquals(0, ledgerSize(space), "nothing was applied");
        // Refused while the body was read, before any resource ran: no audit row claims an attempt.
        admin().queryParam("space", space).get("/v1/audit").then().statusCode(200)
                .body("findAll { it.action == 'edit.apply' }.size()", equalTo(0));

        // Tab, line feed and carriage return are text.
        admin().body(Map.of("prompt", "Capitals:\n\tThe capital of France is\r", "max_new_tokens", 1))
                .post("/v1/spaces/base/generate").then().statusCode(200);
        // Names and other bodies: NUL is a 400, never a 500.
        admin().body(Map.of("name", "a\u0000b", "phase", "mastery")).post("/v1/spaces").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("name"));
        admin().body(Map.of("name", "k\u0000", "role", "reader")).post("/v1/keys").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("name"));
        admin().body(Map.of("name", "e\u0000", "arms", List.of(Map.of("space", "base", "weight", 1))))
                .post("/v1/experiments").then().statusCode(400).contentType(PROBLEM).body("field", equalTo("name"));
        admin().urlEncodingEnabled(false).get("/v1/spaces/a%00b/edits").then().statusCode(400).contentType(PROBLEM).body("field", equalTo("space"));
        admin().urlEncodingEnabled(false).get("/v1/experiments/x%00y").then().statusCode(400).contentType(PROBLEM).body("field", equalTo("id"));
        admin().queryParam("key_id", "a\u0000").get("/v1/audit").then().statusCode(400).contentType(PROBLEM)
                .body("field", equalTo("key_id"));
    }

    @Test
    void spaceNamesAreCheckedAtTheirBoundaries() {
        String n63 = "s" + "0123456789".repeat(6) + "ab";
        String n64 = n63 + "c";
        assertEquals(63, n63.length());
        admin().body(Map.of("name", n63, "phase", "mastery")).post("/v1/spaces").then().statusCode(201);
        admin().body(Map.of("name", n64, "phase", "mastery")).post("/v1/spaces").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("name"));
        admin().body(Map.of("name", "", "phase", "mastery")).post("/v1/spaces").then().statusCode(400).body("field", equalTo("name"));
        admin().body(edit(franceToBerlin())).post("/v1/spaces/" + n64 + "/edits").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("space"));
        admin().get("/v1/spaces/" + n64 + "/edits").then().statusCode(400).contentType(PROBLEM);
        admin().delete("/v1/spaces/" + n64).then().statusCode(400).contentType(PROBLEM);
        admin().get("/v1/spaces/" + n63 + "/edits").then().statusCode(200);
        admin().body(Map.of("name", "d", "phase", "mastery", "description", "x".repeat(1001))).post("/v1/spaces")
                .then().statusCode(400).body("field", equalTo("description"));
    }

    // ---------------------------------------------------------------- item 1: order of effects

    private void sql(String statement) {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(statement, e);
        }
    }

    /** Makes PostgreSQL refuse audit writes whose row matches {@code condition} (a real database failure). */
    private void failAuditWhen(String name, String when, String condition) {
        sql("CREATE OR REPLACE FUNCTION gateway." + name + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "RAISE EXCEPTION 'injected failure " + name + "'; END $$");
        sql("CREATE TRIGGER " + name + " BEFORE " + when + " ON gateway.audit_event FOR EACH ROW WHEN (" + condition
                + ") EXECUTE FUNCTION gateway." + name + "()");
    }

    private void stopFailing(String name) {
        sql("DROP TRIGGER IF EXISTS " + name + " ON gateway.audit_event");
    }

    @Test
    void whenTheIntentCannotBeRecordedNothingIsApplied() {
        String space = newSpace("intent");
        failAuditWhen("fail_intent", "INSERT", "NEW.outcome = 'pending' AND NEW.space = '" + space + "'");
        try {
            admin().body(edit(franceToBerlin())).post("/v1/spaces/" + space + "/edits").then().statusCode(503)
                    .contentType(PROBLEM).header("Retry-After", equalTo("5")).body("detail", containsString("nothing was applied"));
        } finally {
            stopFailing("fail_intent");
        }
        assertEquals(0, ledgerSize(space), "the phase never saw the edit");
    }

    @Test
    void whenTheOutcomeCannotBeRecordedTheClientStillGetsTheLiveEditAndARetryIsIdempotent() {
        String space = newSpace("outcome");
        failAuditWhen("fail_outcome", "UPDATE", "NEW.outcome = 'ok' AND OLD.space = '" + space + "'");
        Response r;
        try {
            r = admin().header("Idempotency-Key", "outcome-1").body(edit(franceToBerlin())).post("/v1/spaces/" + space + "/edits");
            r.then().statusCode(200).body("edits.size()", equalTo(1)).body("edits[0].status", equalTo("live"));
        } finally {
            stopFailing("fail_outcome");
        }
        String id = r.path("edits[0].id");
        admin().get("/v1/spaces/" + space + "/edits").then().statusCode(200).body("edits.size()", equalTo(1))
                .body("edits[0].id", equalTo(id));
        // The intent row holds the key that recovers the result; a retry returns the same edit.
        admin().queryParam("space", space).get("/v1/audit").then().statusCode(200)
                .body("find { it.action == 'edit.apply' }.outcome", equalTo("pending"))
                .body("find { it.action == 'edit.apply' }.idempotency_key", equalTo("outcome-1"));
        admin().header("Idempotency-Key", "outcome-1").body(edit(franceToBerlin())).post("/v1/spaces/" + space + "/edits")
                .then().statusCode(200).body("edits[0].id", equalTo(id));
        assertEquals(1, ledgerSize(space));
    }

    @Test
    void aRefusalWhoseAuditRowFailsKeepsItsOwnStatus() {
        failAuditWhen("fail_refusal", "INSERT", "NEW.outcome = 'refused' AND NEW.space LIKE 'inject-refused%'");
        try {
            admin().body(edit(franceToBerlin())).post("/v1/spaces/inject-refused-" + System.nanoTime() + "/edits")
                    .then().statusCode(404).contentType(PROBLEM);
        } finally {
            stopFailing("fail_refusal");
        }
    }

    @Test
    void aPhaseRefusalIsAuditedAsRefusedAndLeavesNothingLive() {
        String space = newSpace("phase-refuses");
        admin().body(edit(with("subject", "Spain"))).post("/v1/spaces/" + space + "/edits").then().statusCode(400)
                .contentType(PROBLEM).body("phase", equalTo("mastery")).body("field", equalTo("requests[0].subject"));
        admin().body(edit(with("subject", null))).post("/v1/spaces/" + space + "/edits").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("requests[0].subject"));
        admin().body(edit(with("subject", ""))).post("/v1/spaces/" + space + "/edits").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("requests[0].subject"));
        assertEquals(0, ledgerSize(space));
        admin().queryParam("space", space).get("/v1/audit").then().statusCode(200)
                .body("findAll { it.action == 'edit.apply' }.outcome.unique()", equalTo(List.of("refused")))
                .body("findAll { it.action == 'edit.apply' }.http_status.unique()", equalTo(List.of(400)));
    }

    // ---------------------------------------------------------------- item 2: parameters, media types, headers

    @Test
    void queryParametersAreCheckedAtTheirBoundariesAndUnknownOnesRefused() {
        String space = newSpace("params");
        for (String v : List.of("0", "1001", "abc", "99999999999", "")) {
            admin().queryParam("page_size", v).get("/v1/spaces/" + space + "/edits").then().statusCode(400)
                    .contentType(PROBLEM).body("field", equalTo("page_size"));
        }
        for (String v : List.of("1", "1000")) {
            admin().queryParam("page_size", v).get("/v1/spaces/" + space + "/edits").then().statusCode(200);
        }
        for (String v : List.of("0", "1001", "ten")) {
            admin().queryParam("limit", v).get("/v1/audit").then().statusCode(400).contentType(PROBLEM).body("field", equalTo("limit"));
        }
        admin().queryParam("limit", "1").get("/v1/audit").then().statusCode(200).body("size()", equalTo(1));
        admin().queryParam("limit", "1000").get("/v1/audit").then().statusCode(200);
        admin().queryParam("status", "alive").get("/v1/spaces/" + space + "/edits").then().statusCode(400).body("field", equalTo("status"));

        admin().queryParam("kind", "bogus").delete("/v1/spaces/" + space + "/edits/some-id").then().statusCode(400)
                .contentType(PROBLEM).body("field", equalTo("kind"));
        admin().queryParam("reason", "x").delete("/v1/spaces/" + space + "/edits/some-id").then().statusCode(400)
                .body("field", equalTo("reason"));
        admin().queryParam("verbose", "1").get("/v1/methods").then().statusCode(400).body("field", equalTo("verbose"))
                .body("detail", containsString("takes none"));
        admin().queryParam("limit", "1").queryParam("limit", "2").get("/v1/audit").then().statusCode(400).body("field", equalTo("limit"));
        admin().queryParam("include_cases", "yes").get("/v1/evaluations/x").then().statusCode(400).body("field", equalTo("include_cases"));
    }

    /** One raw HTTP/1.1 exchange, so that headers and bodies go exactly as written. */
    private Raw raw(String method, String path, Map<String, String> headers, String body) throws IOException {
        try (Socket s = new Socket(root.getHost(), root.getPort())) {
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + "Authorization: Bearer " + ADMIN_KEY + "\r\n");
            headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
            byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            if (body != null) {
                req.append("Content-Length: ").append(b.length).append("\r\n");
            }
            req.append("\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(b);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String text = all.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(text.substring(9, 12));
            return new Raw(status, text);
        }
    }

    private record Raw(int status, String text) {
        boolean isProblem() {
            return text.toLowerCase().contains("content-type: application/problem+json") && text.contains("\"status\":" + status);
        }
    }

    @Test
    void aBodyWithoutContentTypeIs415() throws IOException {
        Raw r = raw("POST", "/v1/spaces/base/generate", Map.of(), "{\"prompt\": \"The capital of France is\"}");
        assertEquals(415, r.status(), r.text());
        assertTrue(r.isProblem(), r.text());
        r = raw("POST", "/v1/spaces/base/generate", Map.of("Content-Type", "application/json"), "{\"prompt\": \"The capital of France is\", \"max_new_tokens\": 1}");
        assertEquals(200, r.status(), r.text());
    }

    @Test
    void badHeadersAreProblems() throws IOException {
        Raw r = raw("GET", "/v1/methods", Map.of("X-Pad", "p".repeat(20_000)), null);
        assertEquals(431, r.status(), r.text());
        assertTrue(r.isProblem(), r.text());
        r = raw("GET", "/v1/methods", Map.of("X-Pad", "p".repeat(15_000)), null);
        assertEquals(200, r.status(), r.text().substring(0, 200));

        String space = newSpace("hdr");
        r = raw("POST", "/v1/spaces/" + space + "/edits", Map.of("Content-Type", "application/json", "Idempotency-Key", "a\u0007b"),
                "{\"method\": \"FT-M\", \"requests\": [{\"prompt\": \"The capital of France is\", \"subject\": \"France\", \"target_new\": \"Berlin\"}]}");
        // Control characters in any header value are refused by the HTTP layer itself (Vert.x/Netty
        // header validation), before the gateway runs: a 400 without a body, nothing applied.
        assertEquals(400, r.status(), r.text());
        admin().header("Idempotency-Key", "k".repeat(201)).body(edit(franceToBerlin())).post("/v1/spaces/" + space + "/edits")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("Idempotency-Key"));
        admin().header("Idempotency-Key", "caf\u00e9").body(edit(franceToBerlin())).post("/v1/spaces/" + space + "/edits")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("Idempotency-Key"));
        assertEquals(0, ledgerSize(space));
    }
}
