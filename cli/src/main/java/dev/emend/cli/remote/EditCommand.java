package dev.emend.cli.remote;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.cli.stack.GatewayClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./emend edit SPACE ...}: applies one fact change (or a file of KnowEdit requests) through the gateway. */
@Command(name = "edit", mixinStandardHelpOptions = true,
        description = {"Apply an edit to a space of the running gateway: one fact (--prompt/--subject/--target) or a JSON file of "
                + "KnowEdit requests (--requests). It is sent as an operation (no time limit) and followed with a progress "
                + "line on stderr; Ctrl-C stops following, not the edit (./emend operations ID --cancel stops it). Prints the "
                + "ledger entries it made.",
            "Example: ./emend edit my-space --prompt \"The capital of France is\" --subject France --target Rome --method FT-M"})
public final class EditCommand extends Remote implements Callable<Integer> {
    @Parameters(paramLabel = "SPACE", description = "The space to edit (./emend spaces lists them).")
    String space;

    @Option(names = "--prompt", description = "Prompt of the fact, e.g. \"The capital of France is\".")
    String prompt;

    @Option(names = "--subject", description = "The subject, a part of the prompt (e.g. France).")
    String subject;

    @Option(names = "--target", description = "The new answer (target_new).")
    String target;

    @Option(names = "--ground-truth", description = "The answer before the edit (optional).")
    String groundTruth;

    @Option(names = "--rephrase", description = "A paraphrase of the prompt the edit should generalise to (repeatable).")
    List<String> rephrase = new ArrayList<>();

    @Option(names = "--requests", paramLabel = "FILE",
            description = "JSON file: a list of KnowEdit requests as the API takes them (prompt, subject, target_new, ...).")
    Path requests;

    @Option(names = "--method", description = "Editing method (default by the space's phase: recognition "
            + "SERAC, association GRACE, mastery FT-M; GET /v1/methods lists all).")
    String method;

    @Option(names = "--hparam", paramLabel = "KEY=VALUE", description = "A hyperparameter of the method (repeatable), e.g. --hparam steps=10.")
    Map<String, String> hparams = new LinkedHashMap<>();

    @Option(names = "--mode", description = "single, batch or sequential (the method's default when absent).")
    String mode;

    @Option(names = "--idempotency-key", paramLabel = "KEY",
            description = "Sent as Idempotency-Key: repeating the command with the same key returns the first result, never a second edit.")
    String idempotencyKey;

    @Option(names = "--sync", description = "Send the edit as one request and wait for its answer (cut at the gateway's 600 s "
            + "timeout) instead of as an operation followed with a progress line.")
    boolean sync;

    @Option(names = "--no-wait", description = "Print the accepted operation's id and return at once (./emend operations ID follows it).")
    boolean noWait;

    @Override
    public Integer call() throws IOException {
        if (sync && noWait) {
            throw new IllegalArgumentException("--sync and --no-wait exclude each other: --no-wait returns at once, --sync waits for the answer");
        }
        GatewayClient gw = gateway();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("method", method != null ? method : defaultMethod(gw));
        if (!hparams.isEmpty()) {
            Map<String, Object> h = new LinkedHashMap<>();
            hparams.forEach((k, v) -> h.put(k, value(v)));
            body.put("hparams", h);
        }
        body.put("requests", requests());
        if (mode != null) {
            body.put("mode", mode);
        }
        Map<String, String> headers = idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey);
        JsonObject applied;
        if (sync) {
            applied = gw.send("POST", "/v1/spaces/" + seg(space) + "/edits", body, headers);
        } else {
            JsonObject op = gw.send("POST", "/v1/spaces/" + seg(space) + "/operations", body, headers);
            if (noWait) {
                if (!printedJson(op)) {
                    out().println("operation " + str(op, "id") + " accepted (" + str(op, "status") + "); follow it with "
                            + "./emend operations " + str(op, "id") + " --follow");
                    out().flush();
                }
                return 0;
            }
            JsonObject done = OperationsCommand.follow(gw, str(op, "id"), err());
            if (!"succeeded".equals(str(done, "status"))) {
                if (!printedJson(done)) {
                    JsonObject error = done.has("error") ? done.getAsJsonObject("error") : new JsonObject();
                    err().println("edit " + str(done, "status") + ": " + str(error, "detail"));
                    err().flush();
                }
                return 1;
            }
            applied = done.getAsJsonObject("result");
        }
        if (printedJson(applied)) {
            return 0;
        }
        Table t = new Table("sequence", "edit id", "method", "status", "prompt", "target");
        for (JsonElement e : applied.getAsJsonArray("edits")) {
            JsonObject r = e.getAsJsonObject();
            JsonObject req = r.has("request") ? r.getAsJsonObject("request") : new JsonObject();
            t.row(str(r, "sequence"), str(r, "id"), str(r, "method"), str(r, "status"), str(req, "prompt"), str(req, "target_new"));
        }
        t.print(out());
        JsonObject v = applied.getAsJsonObject("model_version");
        JsonObject timings = applied.has("timings") ? applied.getAsJsonObject("timings") : null;
        out().printf(Locale.ROOT, "space %s (%s) is now at sequence %s%s%n", space, str(applied, "phase"), str(v, "sequence"),
                timings != null && timings.has("total_ms") ? String.format(Locale.ROOT, "; %.0f ms", timings.get("total_ms").getAsDouble()) : "");
        out().println("./emend edits " + space + " shows the ledger; ./emend rollback " + space + " EDIT_ID undoes one edit.");
        out().flush();
        return 0;
    }

    private Object requests() throws IOException {
        if (requests != null) {
            if (prompt != null || subject != null || target != null) {
                throw new IllegalArgumentException("give either --requests FILE or --prompt/--subject/--target, not both");
            }
            JsonElement parsed;
            try {
                parsed = JsonParser.parseString(Files.readString(requests));
            } catch (com.google.gson.JsonParseException e) {
                throw new IllegalArgumentException("--requests: " + requests + " is not JSON: " + e.getMessage());
            }
            if (!parsed.isJsonArray()) {
                throw new IllegalArgumentException("--requests: " + requests + " must hold a JSON list of requests ([{\"prompt\": ...}, ...])");
            }
            return parsed;
        }
        if (prompt == null || target == null) {
            throw new IllegalArgumentException("give --prompt and --target (and usually --subject), or --requests FILE");
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("prompt", prompt);
        if (subject != null) {
            r.put("subject", subject);
        }
        r.put("target_new", target);
        if (groundTruth != null) {
            r.put("ground_truth", groundTruth);
        }
        if (!rephrase.isEmpty()) {
            r.put("rephrase_prompt", rephrase);
        }
        return List.of(r);
    }

    /** The default method of the space's phase (the first the gateway's /v1/methods lists for it). */
    private String defaultMethod(GatewayClient gw) {
        for (JsonElement e : gw.get("/v1/spaces").getAsJsonArray("spaces")) {
            JsonObject s = e.getAsJsonObject();
            if (space.equals(str(s, "name"))) {
                String m = gw.defaultMethod(str(s, "phase")).orElse(null);
                if (m != null) {
                    err().println("emend edit: --method not given; using " + m + " (the " + str(s, "phase") + " default)");
                    return m;
                }
            }
        }
        throw new IllegalArgumentException("space '" + space + "' is not among the gateway's spaces (./emend spaces lists them); "
                + "give --method to send the edit anyway");
    }

    /** "10" -> 10, "0.5" -> 0.5, "true" -> true, anything else stays text. */
    /** A command-line hyperparameter value as JSON would carry it: boolean, integer, number or text. */
    public static Object value(String v) {
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException notLong) {
            try {
                return Double.parseDouble(v);
            } catch (NumberFormatException notNumber) {
                return v;
            }
        }
    }
}
