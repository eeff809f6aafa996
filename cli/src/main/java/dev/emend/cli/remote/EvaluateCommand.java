package dev.emend.cli.remote;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.emend.cli.stack.GatewayClient;
import dev.emend.cli.stack.RunFollower;
import dev.emend.knowedit.KnowEditReader;
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

/**
 * {@code ./emend evaluate}: starts an evaluation through the gateway (POST /v1/evaluations),
 * follows it with a progress line and prints the KnowEdit metrics per target. Unlike
 * {@code ./emend bench} (gRPC straight to evaluation-service) it needs only the gateway and a key.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Evaluate methods or spaces through the running gateway on a KnowEdit data set (or inline cases) and print "
                + "Edit Succ / Generalization / Portability / Locality / Fluency per target, following the run with a progress line.",
            "Example: ./emend evaluate --dataset benchmarks/emend-facts/counterfact.json --methods FT-M,GRACE --limit 5"})
public final class EvaluateCommand extends Remote implements Callable<Integer> {
    @Option(names = "--dataset", paramLabel = "FILE", description = "KnowEdit JSON file as evaluation-service sees it (its format is detected here).")
    Path dataset;

    @Option(names = "--cases", paramLabel = "FILE", description = "JSON file with a list of KnowEdit requests to use as the cases instead.")
    Path cases;

    @Option(names = "--methods", split = ",", paramLabel = "METHOD",
            description = "Methods to evaluate, comma-separated; the gateway finds their phase (prefix one to choose it: mastery:ROME).")
    List<String> methods = new ArrayList<>();

    @Option(names = "--spaces", split = ",", paramLabel = "SPACE", description = "Spaces to evaluate as they are (their edits stay).")
    List<String> spaces = new ArrayList<>();

    @Option(names = "--mode", description = "single, batch or sequential (default: the service's, single).")
    String mode;

    @Option(names = "--batch-size", description = "Batch size (batch and sequential modes).")
    Integer batchSize;

    @Option(names = "--limit", description = "Use the first N cases (0 = all).")
    Integer limit;

    @Option(names = "--seed", description = "Seed of shuffling and fluency sampling.")
    Long seed;

    @Option(names = "--shuffle", description = "Shuffle the cases with --seed before --limit.")
    boolean shuffle;

    @Option(names = "--skip-fluency", description = "Skip the fluency generations (the slowest part).")
    boolean skipFluency;

    @Option(names = "--name", description = "Name of the run.")
    String name;

    @Option(names = "--run", paramLabel = "ID", description = "Follow (or show) a run started earlier instead of starting one.")
    String run;

    @Option(names = "--no-wait", description = "Print the run id and return at once.")
    boolean noWait;

    @Option(names = "--timeout", description = "Seconds to follow the run before giving up (it keeps running; default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 24 * 3600;

    @Override
    public Integer call() throws Exception {
        GatewayClient gw = gateway();
        String id = run;
        if (id == null) {
            JsonObject started = gw.post("/v1/evaluations", body());
            id = started.get("id").getAsString();
            err().println("emend evaluate: run " + id + " started (./emend evaluate --run " + id + " follows it again)");
            if (noWait) {
                out().println(json ? started.toString() : id);
                out().flush();
                return 0;
            }
        }
        JsonObject result = RunFollower.follow(gw, seg(id), err(), timeoutSeconds);
        String status = str(result, "status");
        if (printedJson(result)) {
            return status.endsWith("SUCCEEDED") ? 0 : 1;
        }
        Table t = new Table("target", "phase", "Edit Succ", "Generalization", "Portability", "Locality", "Fluency", "cases", "failed", "s/edit");
        if (result.has("results")) {
            for (JsonElement e : result.getAsJsonArray("results")) {
                JsonObject r = e.getAsJsonObject();
                JsonObject target = r.has("target") ? r.getAsJsonObject("target") : new JsonObject();
                JsonObject m = r.has("metrics") ? r.getAsJsonObject("metrics") : new JsonObject();
                t.row(str(r, "label"), str(target, "phase").replace("PHASE_", "").toLowerCase(Locale.ROOT), num(m, "edit_succ"),
                        num(m, "generalization"), num(m, "portability"), num(m, "locality"), num(m, "fluency"),
                        m.has("cases") ? m.get("cases").getAsString() : "0", r.has("cases_failed") ? r.get("cases_failed").getAsString() : "0",
                        num(r, "seconds_per_edit"));
            }
        }
        t.print(out());
        out().println("run " + id + ": " + status.replace("RUN_STATUS_", "").toLowerCase(Locale.ROOT)
                + (result.has("status_reason") ? " — " + str(result, "status_reason") : ""));
        out().flush();
        return status.endsWith("SUCCEEDED") ? 0 : 1;
    }

    Map<String, Object> body() throws IOException {
        if ((dataset == null) == (cases == null)) {
            throw new IllegalArgumentException("give exactly one of --dataset FILE and --cases FILE");
        }
        if (methods.isEmpty() && spaces.isEmpty()) {
            throw new IllegalArgumentException("give --methods and/or --spaces: what to evaluate");
        }
        Map<String, Object> b = new LinkedHashMap<>();
        if (name != null) {
            b.put("name", name);
        }
        if (dataset != null) {
            Path file = dataset.toAbsolutePath().normalize();
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--dataset: " + file + " is not a file");
            }
            b.put("dataset", Map.of("path", file.toString(), "format", KnowEditReader.detect(file).name().toLowerCase(Locale.ROOT)));
        } else {
            b.put("cases", JsonParser.parseString(Files.readString(cases)));
        }
        List<Map<String, Object>> targets = new ArrayList<>();
        for (String m : methods) {
            int c = m.indexOf(':');
            targets.add(c > 0 ? Map.of("phase", m.substring(0, c), "method", m.substring(c + 1)) : Map.of("method", m.trim()));
        }
        spaces.forEach(s -> targets.add(Map.of("space", s.trim())));
        b.put("targets", targets);
        if (mode != null || batchSize != null) {
            Map<String, Object> md = new LinkedHashMap<>();
            md.put("mode", mode == null ? "single" : mode);
            if (batchSize != null) {
                md.put("batch_size", batchSize);
            }
            b.put("mode", md);
        }
        if (skipFluency) {
            b.put("protocol", Map.of("skip_fluency", true));
        }
        if (limit != null) {
            b.put("limit", limit);
        }
        if (seed != null) {
            b.put("seed", seed);
        }
        if (shuffle) {
            b.put("shuffle", true);
        }
        return b;
    }

    private static String num(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? String.format(Locale.ROOT, "%.2f", o.get(key).getAsDouble()) : "-";
    }
}
