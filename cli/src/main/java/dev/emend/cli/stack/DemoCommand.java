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
import java.util.Optional;
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
    /** The method the demo uses in each phase: the phase's default (reliable and quick on the default model), by phase. */
    private final Map<String, String> methods = new LinkedHashMap<>();

    @Option(names = "--cases", description = "Benchmark cases in the evaluation (default: ${DEFAULT-VALUE}).")
    int cases = 5;

    @Option(names = "--prompt", description = "Prompt of the fact to edit (default: ${DEFAULT-VALUE}).")
    String prompt = "The capital of France is";

    @Option(names = "--subject", description = "Subject in the prompt (default: ${DEFAULT-VALUE}).")
    String subject = "France";

    @Option(names = "--target", description = "New answer (default: ${DEFAULT-VALUE}).")
    String target = "Rome";

    @Option(names = "--wait", description = "Seconds to wait for the gateway to reach every phase after the services are up (default: ${DEFAULT-VALUE}).")
    int waitSeconds = 180;

    @Option(names = "--keep", description = "Keep the demo spaces (demo-<phase>) afterwards to explore them with ./emend edits; "
            + "by default they are deleted at the end (and a leftover one is replaced at the start).")
    boolean keep;

    @Option(names = "--no-build", description = "Do not build missing or stale service packages (phases not built are named as not shown).")
    boolean noBuild;

    /** Phases that could not be shown, and why; printed at the end and make the exit code 1. */
    private final Map<String, String> missing = new java.util.TreeMap<>();

    @Override
    public Integer call() throws Exception {
        StackLayout layout = new StackLayout(EmendCli.repoRoot());
        UpCommand.up(layout, 900, !noBuild, System.err, System.err); // names what is not ready; the demo goes on with what is
        StackClient client = new StackClient(layout);
        if (client.ready(StackLayout.service("gateway").port()).isEmpty()) {
            System.err.println("emend demo: the gateway is not running, so nothing can be shown; see ./emend status and " + layout.logs());
            return 1;
        }
        GatewayClient gw = new GatewayClient("http://localhost:8080", Files.readString(layout.adminKey()).trim());
        List<String> phases = awaitPhases(layout, client, gw);
        if (phases.isEmpty()) {
            reportMissing();
            return 1;
        }
        Map<String, String> spaces = new LinkedHashMap<>();
        try {
            return show(layout, gw, phases, spaces);
        } finally {
            if (!keep) {
                for (String space : spaces.values()) {
                    try {
                        gw.delete("/v1/spaces/" + space);
                    } catch (GatewayClient.GatewayException e) {
                        System.err.println("emend demo: could not delete " + space + ": " + e.getMessage());
                    }
                }
                if (!spaces.isEmpty()) {
                    System.err.println("emend demo: deleted the demo spaces " + spaces.values() + " (--keep keeps them)");
                }
            } else if (!spaces.isEmpty()) {
                System.out.println("Kept the spaces " + spaces.values() + ": ./emend edits " + spaces.values().iterator().next()
                        + ", ./emend spaces delete NAME.");
            }
        }
    }

    /**
     * Waits (at most --wait seconds, with a progress line) until the gateway reaches every phase
     * whose service runs; returns those it reaches and records why each other phase is missing.
     */
    private List<String> awaitPhases(StackLayout layout, StackClient client, GatewayClient gw) throws InterruptedException {
        List<String> waiting = new ArrayList<>();
        for (StackLayout.Service s : StackLayout.SERVICES) {
            if (!s.phase()) {
                continue;
            }
            String phase = s.module().replace("-service", "");
            if (!Files.isRegularFile(layout.jar(s))) {
                missing.put(phase, notBuilt(layout, s));
            } else {
                waiting.add(phase);
            }
        }
        ProgressLine progress = new ProgressLine(new java.io.PrintWriter(System.err, true), "waiting for the gateway to reach the phases");
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        java.util.Set<String> down = gw.unavailablePhases();
        while (waiting.stream().anyMatch(down::contains) && System.nanoTime() < deadline) {
            for (String phase : List.copyOf(waiting)) {
                Optional<JsonObject> sup = client.service(phase + "-service");
                if (down.contains(phase) && sup.isPresent() && "gave up".equals(sup.get().get("state").getAsString())) {
                    missing.put(phase, phase + "-service keeps crashing (" + StackClient.exitSummary(sup.get()) + "); see "
                            + layout.logs().resolve(phase + "-service.log"));
                    waiting.remove(phase);
                }
            }
            progress.tick("not yet: " + waiting.stream().filter(down::contains).toList());
            Thread.sleep(1000);
            down = gw.unavailablePhases();
        }
        progress.done();
        List<String> reached = new ArrayList<>();
        for (String phase : waiting) {
            if (down.contains(phase)) {
                missing.put(phase, "the gateway could not reach " + phase + "-service within " + waitSeconds + " s (state: "
                        + StatusCommand.state(client.ready(StackLayout.service(phase).port()).isPresent(), client.service(phase + "-service"))
                        + "; see " + layout.logs().resolve(phase + "-service.log") + ")");
            } else {
                reached.add(phase);
            }
        }
        return reached;
    }

    private static String notBuilt(StackLayout layout, StackLayout.Service s) {
        return s.module() + " is not built (no " + layout.root().relativize(layout.jar(s)) + "; ./emend up without --no-build builds it)";
    }

    private void reportMissing() {
        if (!missing.isEmpty()) {
            System.out.println();
            System.out.println("Not shown:");
            missing.forEach((phase, why) -> System.out.println("  " + phase + ": " + why));
        }
    }

    private int show(StackLayout layout, GatewayClient gw, List<String> phases, Map<String, String> spaces) throws Exception {
        String rephrase = "The capital city of " + subject + " is";
        String unrelated = "The capital of Japan is";
        String suffix = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        System.out.printf("%nEditing \"%s\" -> \"%s\" in each phase (a space of its own; base stays unedited)%n%n", prompt, target);
        for (String phase : phases) {
            String space = "demo-" + phase;
            try {
                try {
                    gw.delete("/v1/spaces/" + space); // a leftover of an earlier demo that did not finish
                } catch (GatewayClient.GatewayException e) {
                    if (e.status() != 404) {
                        throw e;
                    }
                }
                gw.post("/v1/spaces", Map.of("name", space, "phase", phase, "description", "./emend demo"));
                spaces.put(phase, space);
                long t0 = System.nanoTime();
                String method = gw.defaultMethod(phase).orElseThrow(() -> new GatewayClient.GatewayException(503,
                        "the " + phase + " phase lists no methods in GET /v1/methods"));
                methods.put(phase, method);
                JsonObject applied = gw.post("/v1/spaces/" + space + "/edits", Map.of("method", method,
                        "requests", List.of(Map.of("prompt", prompt, "subject", subject, "target_new", target))));
                System.out.printf("  %-12s %-6s edited in %.1f s (space %s, model_version %s)%n", phase,
                        applied.get("method").getAsString(), (System.nanoTime() - t0) / 1e9, space,
                        applied.getAsJsonObject("model_version").get("sequence").getAsLong());
            } catch (GatewayClient.GatewayException e) {
                missing.put(phase, "the edit failed: " + e.getMessage());
            }
        }
        List<String> edited = phases.stream().filter(p -> !missing.containsKey(p)).toList();
        if (edited.isEmpty()) {
            reportMissing();
            return 1;
        }
        System.out.println();
        List<String> columns = new ArrayList<>(List.of("base"));
        columns.addAll(edited);
        System.out.printf("| prompt | %s |%n", String.join(" | ", columns));
        System.out.printf("|---|%s%n", "---|".repeat(columns.size()));
        for (String p : List.of(prompt, rephrase, unrelated)) {
            List<String> answers = new ArrayList<>();
            answers.add(generate(gw, "base", p, edited.get(0)));
            for (String phase : edited) {
                answers.add(generate(gw, spaces.get(phase), p, null));
            }
            System.out.printf("| %s | %s |%n", p, String.join(" | ", answers));
        }
        System.out.println("\n(the first row is the edit, the second a paraphrase it should generalise to, the third a fact it must leave alone)");

        StackLayout.Service evaluation = StackLayout.service("evaluation");
        if (!Files.isRegularFile(layout.jar(evaluation))) {
            missing.put("evaluation", notBuilt(layout, evaluation));
            reportMissing();
            return 1;
        }
        System.out.printf("%nEvaluating %s on %d counterfact cases (single edits: apply, score, roll back)...%n",
                String.join(", ", edited), cases);
        List<Map<String, Object>> targets = new ArrayList<>();
        for (String phase : edited) {
            targets.add(Map.of("phase", phase, "method", methods.get(phase)));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", "demo-" + suffix);
        body.put("dataset", Map.of("path", layout.root().resolve("benchmarks/emend-facts/counterfact.json").toString(),
                "format", "wikidata_counterfact"));
        body.put("targets", targets);
        body.put("mode", Map.of("mode", "single"));
        body.put("limit", cases);
        String id;
        JsonObject run;
        try {
            id = gw.post("/v1/evaluations", body).get("id").getAsString();
            run = RunFollower.follow(gw, id, new java.io.PrintWriter(System.err, true), 3600);
        } catch (GatewayClient.GatewayException e) {
            missing.put("evaluation", "could not run: " + e.getMessage());
            reportMissing();
            return 1;
        }
        if (!run.get("status").getAsString().endsWith("SUCCEEDED")) {
            missing.put("evaluation", "run " + id + " ended " + run.get("status").getAsString() + ": "
                    + (run.has("status_reason") ? run.get("status_reason").getAsString() : ""));
            reportMissing();
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
        System.out.println("KnowEdit's other tasks, on the second-generation model (EMEND_MODEL=models/emend-facts-2 ./emend up):");
        System.out.println("      ./emend bench --dataset benchmarks/emend-facts-2/erasure.json --methods IKE,GRACE,ROME,FT-M");
        System.out.println("      (erasure: answer \"I don't know.\"), sentiment.json (flip an opinion), longform.json (correct a biography).");
        reportMissing();
        return missing.isEmpty() ? 0 : 1;
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
}
