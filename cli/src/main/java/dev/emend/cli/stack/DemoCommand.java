package dev.emend.cli.stack;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ./emend demo}: the first thing a newcomer runs. Brings the stack up, edits one fact
 * through each phase via the gateway, shows the answers before and after side by side, runs a
 * small evaluation of all phases on the same cases and prints the KnowEdit-style table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Edit one fact through every phase (via the gateway), compare answers before and after, and "
                + "evaluate all phases side by side on a few benchmark cases.")
public final class DemoCommand implements Callable<Integer> {
    /** The method the demo uses in each phase: reliable and quick on the default model. */
    public static final Map<String, String> METHODS = Map.of("recognition", "SERAC", "association", "GRACE", "mastery", "FT-M");

    @Option(names = "--cases", description = "Benchmark cases in the evaluation (default: ${DEFAULT-VALUE}).")
    int cases = 5;

    @Option(names = "--prompt", description = "Prompt of the fact to edit (default: ${DEFAULT-VALUE}).")
    String prompt = "The capital of France is";

    @Option(names = "--subject", description = "Subject in the prompt (default: ${DEFAULT-VALUE}).")
    String subject = "France";

    @Option(names = "--target", description = "New answer (default: ${DEFAULT-VALUE}).")
    String target = "Rome";

    @Override
    public Integer call() throws Exception {
        StackLayout layout = new StackLayout(EmendCli.repoRoot());
        int up = UpCommand.up(layout, 900, true, System.err, System.err);
        if (up != 0) {
            return up;
        }
        GatewayClient gw = new GatewayClient("http://localhost:8080", Files.readString(layout.adminKey()).trim());
        List<String> phases = new ArrayList<>();
        for (JsonElement p : gw.get("/v1/methods").getAsJsonArray("phases")) {
            JsonObject o = p.getAsJsonObject();
            String status = o.get("status").getAsString();
            if ("available".equalsIgnoreCase(status) || "up".equalsIgnoreCase(status)) {
                phases.add(o.get("phase").getAsString().toLowerCase(Locale.ROOT));
            }
        }
        phases.sort(null);
        if (phases.isEmpty()) {
            System.err.println("emend demo: no phase service is up; see ./emend status");
            return 1;
        }
        String rephrase = "The capital city of " + subject + " is";
        String unrelated = "The capital of Japan is";
        String suffix = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        Map<String, String> spaces = new LinkedHashMap<>();
        System.out.printf("%nEditing \"%s\" -> \"%s\" in each phase (a space of its own; base stays unedited)%n%n", prompt, target);
        for (String phase : phases) {
            String space = "demo-" + phase + "-" + suffix;
            gw.post("/v1/spaces", Map.of("name", space, "phase", phase, "description", "./emend demo"));
            long t0 = System.nanoTime();
            JsonObject applied = gw.post("/v1/spaces/" + space + "/edits", Map.of("method", METHODS.getOrDefault(phase, "FT-M"),
                    "requests", List.of(Map.of("prompt", prompt, "subject", subject, "target_new", target))));
            System.out.printf("  %-12s %-6s edited in %.1f s (space %s, model_version %s)%n", phase,
                    applied.get("method").getAsString(), (System.nanoTime() - t0) / 1e9, space,
                    applied.getAsJsonObject("model_version").get("sequence").getAsLong());
            spaces.put(phase, space);
        }
        System.out.println();
        List<String> columns = new ArrayList<>(List.of("base"));
        columns.addAll(spaces.keySet());
        System.out.printf("| prompt | %s |%n", String.join(" | ", columns));
        System.out.printf("|---|%s%n", "---|".repeat(columns.size()));
        for (String p : List.of(prompt, rephrase, unrelated)) {
            List<String> answers = new ArrayList<>();
            answers.add(generate(gw, "base", p, spaces.isEmpty() ? "mastery" : spaces.keySet().iterator().next()));
            for (String space : spaces.values()) {
                answers.add(generate(gw, space, p, null));
            }
            System.out.printf("| %s | %s |%n", p, String.join(" | ", answers));
        }
        System.out.println("\n(the first row is the edit, the second a paraphrase it should generalise to, the third a fact it must leave alone)");

        System.out.printf("%nEvaluating %s on %d counterfact cases (single edits: apply, score, roll back)...%n",
                String.join(", ", phases), cases);
        List<Map<String, Object>> targets = new ArrayList<>();
        for (String phase : phases) {
            targets.add(Map.of("phase", phase, "method", METHODS.getOrDefault(phase, "FT-M")));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "demo-" + suffix);
        body.put("dataset", Map.of("path", layout.root().resolve("benchmarks/emend-facts/counterfact.json").toString(),
                "format", "wikidata_counterfact"));
        body.put("targets", targets);
        body.put("mode", Map.of("mode", "single"));
        body.put("limit", cases);
        JsonObject started = gw.post("/v1/evaluations", body);
        String id = started.has("id") ? started.get("id").getAsString() : started.get("run_id").getAsString();
        JsonObject run;
        while (true) {
            run = gw.get("/v1/evaluations/" + id);
            String status = run.has("status") ? run.get("status").getAsString() : "";
            JsonObject progress = run.has("progress") ? run.getAsJsonObject("progress") : new JsonObject();
            long done = progress.has("cases_done") ? progress.get("cases_done").getAsLong() : 0;
            long total = progress.has("cases_total") ? progress.get("cases_total").getAsLong() : 0;
            System.err.printf("\r  %s %d/%d cases%s", bar(done, total), done, total,
                    progress.has("eta_seconds") ? String.format(Locale.ROOT, ", ETA %.0f s   ", progress.get("eta_seconds").getAsDouble()) : "");
            if (status.contains("SUCCEEDED") || status.contains("FAILED") || status.contains("CANCEL") || status.contains("DONE")) {
                System.err.println();
                break;
            }
            Thread.sleep(1000);
        }
        if (!run.get("status").getAsString().contains("SUCCEEDED") && !run.get("status").getAsString().contains("DONE")) {
            System.out.println("evaluation " + id + " ended " + run.get("status").getAsString() + ": "
                    + (run.has("status_reason") ? run.get("status_reason").getAsString() : ""));
            return 1;
        }
        System.out.println();
        System.out.println("| method | phase | Edit Succ | Generalization | Portability | Locality | Fluency |");
        System.out.println("|---|---|---|---|---|---|---|");
        JsonArray results = run.has("results") ? run.getAsJsonArray("results") : new JsonArray();
        for (JsonElement e : results) {
            JsonObject r = e.getAsJsonObject();
            JsonObject t = r.getAsJsonObject("target");
            JsonObject m = r.getAsJsonObject("metrics");
            System.out.printf("| %s | %s | %s | %s | %s | %s | %s |%n", t.get("method").getAsString(),
                    t.get("phase").getAsString().replace("PHASE_", "").toLowerCase(Locale.ROOT), num(m, "edit_succ"),
                    num(m, "generalization"), num(m, "portability"), num(m, "locality"), num(m, "fluency"));
        }
        System.out.println();
        System.out.println("Evaluation " + id + ": full result (per case, protocol, chart) at GET http://localhost:8080/v1/evaluations/" + id);
        System.out.println("Next: the API at http://localhost:8080/q/swagger-ui (admin key in .emend/admin-key), ./emend status,");
        System.out.println("      ./emend bench for bigger evaluations, BENCHMARKS.md for measured figures, ./emend down to stop.");
        return 0;
    }

    private static String generate(GatewayClient gw, String space, String prompt, String phaseForBase) {
        String path = "/v1/spaces/" + space + "/generate";
        Map<String, Object> body = Map.of("prompt", prompt, "max_new_tokens", 6);
        try {
            JsonObject g = space.equals("base") ? gw.post("/v1/spaces/base/generate?phase=" + phaseForBase, body) : gw.post(path, body);
            String text = g.get("text").getAsString().strip();
            int dot = text.indexOf('.');
            return dot > 0 ? text.substring(0, dot) : text;
        } catch (GatewayClient.GatewayException e) {
            return "(" + e.status() + ")";
        }
    }

    private static String num(JsonObject m, String key) {
        return m != null && m.has(key) && !m.get(key).isJsonNull() ? String.format(Locale.ROOT, "%.1f", m.get(key).getAsDouble()) : "–";
    }

    private static String bar(long done, long total) {
        int width = 30;
        int filled = total == 0 ? 0 : (int) (width * done / total);
        return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
    }
}
