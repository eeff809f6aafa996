package dev.emend.cli.stack;

import com.google.gson.JsonObject;
import java.io.PrintWriter;
import java.util.Locale;

/** Follows an evaluation run through the gateway (GET /v1/evaluations/{id} once a second) with a progress line. */
public final class RunFollower {
    private RunFollower() {
    }

    /** Polls until the run ends (SUCCEEDED or FAILED) and returns it; after {@code timeoutSeconds} an IllegalStateException. */
    public static JsonObject follow(GatewayClient gw, String id, PrintWriter err, long timeoutSeconds) throws InterruptedException {
        ProgressLine progress = new ProgressLine(err, "run " + id);
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            JsonObject r = gw.patiently("GET", "/v1/evaluations/" + id, null);
            String status = r.has("status") ? r.get("status").getAsString() : "";
            if (ended(status)) {
                progress.done();
                return r;
            }
            if (System.nanoTime() > deadline) {
                progress.done();
                throw new IllegalStateException("run " + id + " still " + status + " after " + timeoutSeconds + " s; it keeps running "
                        + "(./emend evaluate --run " + id + " follows it)");
            }
            progress.tick(line(r.has("progress") ? r.getAsJsonObject("progress") : new JsonObject()));
            Thread.sleep(1000);
        }
    }

    /** SUCCEEDED and FAILED end a run; QUEUED, RUNNING and RESUMED do not. */
    public static boolean ended(String status) {
        return status.endsWith("SUCCEEDED") || status.endsWith("FAILED");
    }

    /** "[#######.....] 12/50 cases  FT-M editing  ETA 40 s" (proto JSON leaves zero-valued fields out). */
    static String line(JsonObject p) {
        long done = p.has("cases_done") ? p.get("cases_done").getAsLong() : 0;
        long total = p.has("cases_total") ? p.get("cases_total").getAsLong() : 0;
        int width = 30;
        int filled = total == 0 ? 0 : (int) (width * done / total);
        return String.format(Locale.ROOT, "[%s%s] %d/%d cases  %s %s%s", "#".repeat(filled), ".".repeat(width - filled), done, total,
                p.has("current_method") ? p.get("current_method").getAsString() : "", p.has("stage") ? p.get("stage").getAsString() : "",
                p.has("eta_seconds") ? String.format(Locale.ROOT, "  ETA %.0f s", p.get("eta_seconds").getAsDouble()) : "");
    }
}
