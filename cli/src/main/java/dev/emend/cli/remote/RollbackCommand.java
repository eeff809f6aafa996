package dev.emend.cli.remote;

import com.google.gson.JsonObject;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./emend rollback SPACE EDIT_ID}: undoes one edit; its record stays in the ledger as rolled_back. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Roll back one edit of a space of the running gateway (editor key). The record stays in the ledger with "
                + "status rolled_back; ./emend edits SPACE shows it.")
public final class RollbackCommand extends Remote implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SPACE")
    String space;

    @Parameters(index = "1", paramLabel = "EDIT_ID", description = "The edit's id (./emend edits SPACE lists them).")
    String editId;

    @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Sent as Idempotency-Key: a repeat returns the first result.")
    String idempotencyKey;

    @Override
    public Integer call() {
        JsonObject r = gateway().send("DELETE", "/v1/spaces/" + seg(space) + "/edits/" + seg(editId), null,
                idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey));
        if (printedJson(r)) {
            return 0;
        }
        JsonObject v = r.has("model_version") ? r.getAsJsonObject("model_version") : null;
        out().println("rolled back edit " + editId + " in " + space + " (" + str(r, "kind") + "); space now at sequence " + str(v, "sequence"));
        if (r.has("reactivated_edit_ids") && !r.getAsJsonArray("reactivated_edit_ids").isEmpty()) {
            out().println("reactivated: " + r.get("reactivated_edit_ids"));
        }
        if (r.has("dependent_edit_ids") && !r.getAsJsonArray("dependent_edit_ids").isEmpty()) {
            out().println("dependent edits: " + r.get("dependent_edit_ids"));
        }
        out().flush();
        return 0;
    }
}
