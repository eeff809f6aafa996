package dev.emend.cli.remote;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./emend keys [create|revoke]}: API keys of the running gateway (admin key). */
@Command(name = "keys", mixinStandardHelpOptions = true,
        description = {"List the gateway's active API keys (never their secrets); create and revoke them (admin key)."},
        subcommands = {KeysCommand.Create.class, KeysCommand.Revoke.class})
public final class KeysCommand extends Remote implements Callable<Integer> {
    @Override
    public Integer call() {
        JsonObject list = gateway().get("/v1/keys");
        if (printedJson(list.get("items"))) {
            return 0;
        }
        Table t = new Table("id", "name", "role", "spaces", "requests/min", "created", "by");
        for (JsonElement e : list.getAsJsonArray("items")) {
            JsonObject k = e.getAsJsonObject();
            t.row(str(k, "id"), str(k, "name"), str(k, "role"), k.has("spaces") ? String.join(",", strings(k, "spaces")) : "-",
                    str(k, "requests_per_minute"), str(k, "created_at"), str(k, "created_by"));
        }
        t.print(out());
        return 0;
    }

    static List<String> strings(JsonObject o, String key) {
        List<String> l = new ArrayList<>();
        o.getAsJsonArray(key).forEach(e -> l.add(e.getAsString()));
        return l;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a key; the secret is printed once (store it now).")
    static final class Create extends Remote implements Callable<Integer> {
        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--role", required = true, description = "reader, editor or admin.")
        String role;

        @Option(names = "--space", paramLabel = "SPACE", description = "A space an editor key may edit (repeatable; * = all).")
        List<String> spaces = new ArrayList<>();

        @Option(names = "--requests-per-minute", paramLabel = "N", description = "The key's own rate limit.")
        Long requestsPerMinute;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("role", role);
            if (!spaces.isEmpty()) {
                body.put("spaces", spaces);
            }
            if (requestsPerMinute != null) {
                body.put("requests_per_minute", requestsPerMinute);
            }
            JsonObject k = gateway().post("/v1/keys", body);
            if (!printedJson(k)) {
                out().println("key " + str(k, "id") + " (" + str(k, "role") + "): " + str(k, "key"));
                out().flush();
                err().println("emend keys: the secret is shown only now; use it as EMEND_API_KEY or Authorization: Bearer <key>");
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a key by its id.")
    static final class Revoke extends Remote implements Callable<Integer> {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() {
            gateway().delete("/v1/keys/" + seg(id));
            out().println("revoked key " + id);
            out().flush();
            return 0;
        }
    }
}
