package dev.emend.cli.remote;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.cli.stack.GatewayClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./emend edits SPACE [EDIT_ID]}: a space's ledger, or one edit record. */
@Command(name = "edits", mixinStandardHelpOptions = true,
        description = "Show the ledger of a space of the running gateway (every edit in sequence order, live and rolled back), "
                + "or one edit record with EDIT_ID.")
public final class EditsCommand extends Remote implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPACE")
    String space;

    @Parameters(index = "1", arity = "0..1", paramLabel = "EDIT_ID", description = "Show this edit's full record.")
    String editId;

    @Option(names = "--status", description = "Only edits with this status (live, rolled_back, superseded).")
    String status;

    @Override
    public Integer call() {
        GatewayClient gw = gateway();
        if (editId != null) {
            JsonObject r = gw.get("/v1/spaces/" + seg(space) + "/edits/" + seg(editId));
            if (!printedJson(r)) {
                JsonObject req = r.has("request") ? r.getAsJsonObject("request") : new JsonObject();
                Table t = new Table("field", "value");
                for (String k : new String[] {"id", "sequence", "space", "phase", "method", "mode", "status", "committed_at",
                        "rolled_back_at_sequence", "superseded_by"}) {
                    if (r.has(k)) {
                        t.row(k, str(r, k));
                    }
                }
                for (String k : new String[] {"prompt", "subject", "target_new", "ground_truth", "rephrase_prompt"}) {
                    if (req.has(k)) {
                        t.row("request." + k, req.get(k).isJsonPrimitive() ? req.get(k).getAsString() : req.get(k).toString());
                    }
                }
                if (r.has("hparams")) {
                    t.row("hparams", r.get("hparams").toString());
                }
                t.print(out());
            }
            return 0;
        }
        // Every page: the ledger in sequence order.
        JsonArray all = new JsonArray();
        JsonObject page = null;
        String token = null;
        do {
            String q = "?page_size=500" + (status != null ? "&status=" + seg(status) : "") + (token != null ? "&page_token=" + seg(token) : "");
            page = gw.get("/v1/spaces/" + seg(space) + "/edits" + q);
            page.getAsJsonArray("edits").forEach(all::add);
            token = page.has("next_page_token") && !page.get("next_page_token").getAsString().isEmpty()
                    ? page.get("next_page_token").getAsString() : null;
        } while (token != null);
        page.add("edits", all);
        page.remove("next_page_token");
        if (printedJson(page)) {
            return 0;
        }
        Table t = new Table("sequence", "edit id", "method", "status", "subject", "prompt", "target", "committed");
        for (JsonElement e : all) {
            JsonObject r = e.getAsJsonObject();
            JsonObject req = r.has("request") ? r.getAsJsonObject("request") : new JsonObject();
            t.row(str(r, "sequence"), str(r, "id"), str(r, "method"), str(r, "status"), str(req, "subject"), str(req, "prompt"),
                    str(req, "target_new"), str(r, "committed_at"));
        }
        t.print(out());
        JsonObject v = page.has("model_version") ? page.getAsJsonObject("model_version") : null;
        out().println(all.size() + " edit(s); space " + space + " (" + str(page, "phase") + ") at sequence " + str(v, "sequence"));
        out().flush();
        return 0;
    }
}
