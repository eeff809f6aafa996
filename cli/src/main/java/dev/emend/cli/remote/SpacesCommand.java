package dev.emend.cli.remote;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./emend spaces [create|delete]}: the spaces of the running gateway. */
@Command(name = "spaces", mixinStandardHelpOptions = true,
        description = {"List the spaces of the running gateway with their phase, ledger head and applied edits (live or superseded: their update is still in the weights or memory).",
            "Subcommands create and delete them (admin key)."},
        subcommands = {SpacesCommand.Create.class, SpacesCommand.Delete.class})
public final class SpacesCommand extends Remote implements Callable<Integer> {
    @Override
    public Integer call() {
        JsonObject list = gateway().get("/v1/spaces");
        if (printedJson(list)) {
            return 0;
        }
        Table t = new Table("space", "phase", "sequence", "applied edits", "status", "description");
        for (JsonElement e : list.getAsJsonArray("spaces")) {
            JsonObject s = e.getAsJsonObject();
            JsonObject v = s.has("model_version") ? s.getAsJsonObject("model_version") : null;
            t.row(str(s, "name"), str(s, "phase"), str(v, "sequence"), str(s, "live_edits"), str(s, "status"), str(s, "description"));
        }
        t.print(out());
        if (t.size() == 0) {
            out().println("(no spaces yet: ./emend spaces create NAME --phase mastery)");
        }
        if (list.has("unavailable_phases") && !list.getAsJsonArray("unavailable_phases").isEmpty()) {
            err().println("emend spaces: phases not answering now (their spaces show as unavailable): " + list.get("unavailable_phases"));
        }
        out().flush();
        return 0;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an empty space in one phase (admin key).")
    static final class Create extends Remote implements Callable<Integer> {
        @Parameters(paramLabel = "NAME", description = "Space name (letters, digits, '-', '_').")
        String name;

        @Option(names = "--phase", required = true, description = "recognition, association or mastery.")
        String phase;

        @Option(names = "--description", description = "Free text shown by ./emend spaces.")
        String description;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("phase", phase);
            if (description != null) {
                body.put("description", description);
            }
            JsonObject s = gateway().post("/v1/spaces", body);
            if (!printedJson(s)) {
                out().println("created space " + str(s, "name") + " in the " + str(s, "phase") + " phase");
                out().flush();
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a space and its ledger (admin key).")
    static final class Delete extends Remote implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            JsonObject r = gateway().delete("/v1/spaces/" + seg(name));
            if (!printedJson(r)) {
                out().println("deleted space " + name + " (" + str(r, "edits_discarded") + " ledger entries discarded)");
                out().flush();
            }
            return 0;
        }
    }
}
