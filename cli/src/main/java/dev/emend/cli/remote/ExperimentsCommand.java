package dev.emend.cli.remote;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./emend experiments [show|create]}: A/B experiments between spaces. */
@Command(name = "experiments", mixinStandardHelpOptions = true,
        description = "List the gateway's A/B experiments with their arms; show one with per-arm traffic and latency; create one (admin key).",
        subcommands = {ExperimentsCommand.Show.class, ExperimentsCommand.Create.class})
public final class ExperimentsCommand extends Remote implements Callable<Integer> {
    @Override
    public Integer call() {
        JsonObject list = gateway().get("/v1/experiments");
        if (printedJson(list.get("items"))) {
            return 0;
        }
        Table t = new Table("id", "name", "arms (space:weight requests)", "created");
        for (JsonElement e : list.getAsJsonArray("items")) {
            JsonObject x = e.getAsJsonObject();
            List<String> arms = new ArrayList<>();
            for (JsonElement a : x.getAsJsonArray("arms")) {
                JsonObject o = a.getAsJsonObject();
                arms.add(str(o, "space") + ":" + str(o, "weight") + " " + str(o, "requests"));
            }
            t.row(str(x, "id"), str(x, "name"), String.join(", ", arms), str(x, "created_at"));
        }
        t.print(out());
        return 0;
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One experiment: per arm weight, share, requests, errors, latency.")
    static final class Show extends Remote implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            JsonObject x = gateway().get("/v1/experiments/" + seg(id));
            if (printedJson(x)) {
                return 0;
            }
            out().println("experiment " + str(x, "id") + " '" + str(x, "name") + "', created " + str(x, "created_at"));
            Table t = new Table("arm", "space", "phase", "weight", "share", "requests", "errors", "p50 ms", "p99 ms");
            for (JsonElement a : x.getAsJsonArray("arms")) {
                JsonObject o = a.getAsJsonObject();
                JsonObject l = o.has("latency_ms") ? o.getAsJsonObject("latency_ms") : null;
                t.row(str(o, "name"), str(o, "space"), str(o, "phase"), str(o, "weight"),
                        String.format(Locale.ROOT, "%.2f", o.get("share").getAsDouble()), str(o, "requests"), str(o, "errors"),
                        str(l, "p50"), str(l, "p99"));
            }
            t.print(out());
            if (x.has("evaluations")) {
                for (JsonElement e : x.getAsJsonArray("evaluations")) {
                    out().println("evaluation " + str(e.getAsJsonObject(), "id") + ": " + str(e.getAsJsonObject(), "status")
                            + " (./emend evaluate --run ID shows it)");
                }
            }
            out().flush();
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an experiment over weighted arms (admin key).")
    static final class Create extends Remote implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--arm", required = true, paramLabel = "SPACE[@PHASE][:WEIGHT]",
                description = "An arm (repeatable): a space, its weight (default 1); base needs its phase, e.g. base@mastery:1.")
        List<String> arms;

        @Override
        public Integer call() {
            List<Map<String, Object>> list = new ArrayList<>();
            for (String a : arms) {
                list.add(arm(a));
            }
            JsonObject x = gateway().post("/v1/experiments", Map.of("name", name, "arms", list));
            if (!printedJson(x)) {
                out().println("created experiment " + str(x, "id") + " '" + str(x, "name") + "' ("
                        + x.getAsJsonArray("arms").size() + " arms); POST /v1/experiments/" + str(x, "id") + "/generate routes callers");
                out().flush();
            }
            return 0;
        }

        static Map<String, Object> arm(String spec) {
            Map<String, Object> m = new LinkedHashMap<>();
            String s = spec;
            int colon = s.lastIndexOf(':');
            double weight = 1;
            if (colon > 0) {
                try {
                    weight = Double.parseDouble(s.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--arm '" + spec + "': the weight after ':' is not a number");
                }
                s = s.substring(0, colon);
            }
            int at = s.indexOf('@');
            m.put("space", at > 0 ? s.substring(0, at) : s);
            if (at > 0) {
                m.put("phase", s.substring(at + 1));
            }
            m.put("weight", weight);
            return m;
        }
    }
}
