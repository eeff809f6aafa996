package dev.emend.cli.remote;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.cli.stack.GatewayClient;
import dev.emend.cli.stack.ProgressLine;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./emend operations [ID]}: lists, follows or cancels the operations (edits, trainings) of the running gateway. */
@Command(name = "operations", mixinStandardHelpOptions = true,
        description = {"List the operations of the running gateway (long edits and method trainings run in the background), "
                + "or show one; --follow waits for it with a progress line, --cancel stops it (edit units committed before "
                + "stay live; a cancelled training writes nothing).",
            "Examples: ./emend operations --space my-space; ./emend operations OP_ID --follow; ./emend operations OP_ID --cancel"})
public final class OperationsCommand extends Remote implements Callable<Integer> {
    @Parameters(paramLabel = "ID", arity = "0..1", description = "One operation (./emend operations lists the ids).")
    String id;

    @Option(names = "--space", description = "Only operations on this space.")
    String space;

    @Option(names = "--status", description = "Only operations with this status: queued, running, succeeded, failed, cancelled.")
    String status;

    @Option(names = "--limit", description = "At most this many (default 50).")
    Integer limit;

    @Option(names = "--follow", description = "Wait for the operation to finish, with a progress line on stderr.")
    boolean follow;

    @Option(names = "--cancel", description = "Cancel the operation.")
    boolean cancel;

    @Override
    public Integer call() {
        GatewayClient gw = gateway();
        if (id == null) {
            if (follow || cancel) {
                throw new IllegalArgumentException("--follow and --cancel need an operation ID");
            }
            List<String> query = new ArrayList<>();
            if (space != null) {
                query.add("space=" + seg(space));
            }
            if (status != null) {
                query.add("status=" + seg(status));
            }
            if (limit != null) {
                query.add("limit=" + limit);
            }
            JsonObject list = gw.get("/v1/operations" + (query.isEmpty() ? "" : "?" + String.join("&", query)));
            if (printedJson(list)) {
                return 0;
            }
            Table t = new Table("id", "kind", "space", "method", "status", "progress", "created");
            for (JsonElement e : list.getAsJsonArray("operations")) {
                JsonObject op = e.getAsJsonObject();
                t.row(str(op, "id"), str(op, "kind"), str(op, "space"), str(op, "method"), str(op, "status"), progress(op),
                        str(op, "created_at"));
            }
            t.print(out());
            out().flush();
            return 0;
        }
        if (space != null || status != null || limit != null) {
            throw new IllegalArgumentException("--space, --status and --limit filter the list; leave them out with an ID");
        }
        JsonObject op = cancel ? gw.post("/v1/operations/" + seg(id) + "/cancel", null) : gw.get("/v1/operations/" + seg(id));
        if (follow) {
            op = follow(gw, id, err());
        }
        if (!printedJson(op)) {
            String what = "training".equals(str(op, "kind")) ? "training of " + str(op, "method") + " (" + str(op, "phase")
                    + " phase)" : "on " + str(op, "space") + " (" + str(op, "method") + ")";
            out().printf(Locale.ROOT, "operation %s %s: %s, %s%s%n", str(op, "id"), what,
                    str(op, "status"), progress(op), op.has("cancel_requested") && op.get("cancel_requested").getAsBoolean()
                            ? ", cancel requested" : "");
            if (op.has("error")) {
                out().println("  " + str(op.getAsJsonObject("error"), "detail"));
            }
            if (op.has("result")) {
                out().println("  edits: " + op.getAsJsonObject("result").getAsJsonArray("edits").size()
                        + " (./emend edits " + str(op, "space") + " shows them)");
            }
            printTrained(op, out());
            out().flush();
        }
        return List.of("failed", "cancelled").contains(str(op, "status")) ? 1 : 0;
    }

    /** The file a succeeded training wrote, with its model fingerprint and last progress line. */
    static void printTrained(JsonObject op, PrintWriter out) {
        if (op.has("trained")) {
            JsonObject t = op.getAsJsonObject("trained");
            out.printf(Locale.ROOT, "  trained %s (model %s) in %.1f s%n  %s%n", str(t, "file"), str(t, "model_fingerprint"),
                    t.has("seconds") ? t.get("seconds").getAsDouble() : 0, str(t, "summary"));
        }
    }

    static String progress(JsonObject op) {
        JsonObject p = op.has("progress") ? op.getAsJsonObject("progress") : new JsonObject();
        double fraction = p.has("fraction") ? p.get("fraction").getAsDouble() : 0;
        double eta = p.has("eta_seconds") ? p.get("eta_seconds").getAsDouble() : 0;
        return String.format(Locale.ROOT, "%3.0f%% %s%s", 100 * fraction, str(p, "stage"),
                eta > 0 ? String.format(Locale.ROOT, ", ETA %.0f s", eta) : "");
    }

    /** Polls an operation until it has finished, drawing a progress line on {@code err}; returns its last JSON. */
    static JsonObject follow(GatewayClient gw, String id, PrintWriter err) {
        ProgressLine line = new ProgressLine(err, "operation " + id.substring(0, Math.min(8, id.length())));
        try {
            while (true) {
                JsonObject op = gw.get("/v1/operations/" + seg(id));
                String s = str(op, "status");
                if (List.of("succeeded", "failed", "cancelled").contains(s)) {
                    line.tick(s + " " + progress(op));
                    return op;
                }
                line.tick(bar(op) + " " + progress(op));
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("stopped following operation " + id + " (it goes on: ./emend operations "
                            + id + " --cancel stops it)");
                }
            }
        } finally {
            line.done();
        }
    }

    private static String bar(JsonObject op) {
        JsonObject p = op.getAsJsonObject("progress");
        int filled = (int) Math.round(20 * (p != null && p.has("fraction") ? p.get("fraction").getAsDouble() : 0));
        return "[" + "#".repeat(filled) + " ".repeat(20 - filled) + "]";
    }
}
