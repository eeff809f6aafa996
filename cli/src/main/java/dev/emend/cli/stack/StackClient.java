package dev.emend.cli.stack;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads the running stack: its state file, process liveness and each service's readiness. */
public final class StackClient {
    private final StackLayout layout;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public StackClient(StackLayout layout) {
        this.layout = layout;
    }

    /** The state file, if a supervisor wrote one and is still alive. */
    public Optional<JsonObject> running() {
        try {
            if (!Files.isRegularFile(layout.state())) {
                return Optional.empty();
            }
            JsonObject state = JsonParser.parseString(Files.readString(layout.state())).getAsJsonObject();
            long pid = state.get("supervisor_pid").getAsLong();
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(p -> state);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The running supervisor's entry for {@code module} in stack.json (pid, state, restarts, last exit). */
    public Optional<JsonObject> service(String module) {
        return running().flatMap(state -> {
            for (JsonElement e : state.getAsJsonArray("services")) {
                if (module.equals(e.getAsJsonObject().get("module").getAsString())) {
                    return Optional.of(e.getAsJsonObject());
                }
            }
            return Optional.empty();
        });
    }

    /** "restarted 2x, last exit 137 at 2026-..." from a stack.json service entry; "" when it never exited. */
    public static String exitSummary(JsonObject service) {
        int restarts = service.has("restarts") ? service.get("restarts").getAsInt() : 0;
        List<String> parts = new ArrayList<>();
        if (restarts > 0) {
            parts.add("restarted " + restarts + "x");
        }
        if (service.has("last_exit")) {
            parts.add("last exit " + service.get("last_exit").getAsInt() + " (" + service.get("last_exit_reason").getAsString() + ")");
        }
        return String.join(", ", parts);
    }

    /** Readiness JSON of a service, or empty when it does not answer 200. */
    public Optional<JsonObject> ready(int port) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(JsonParser.parseString(r.body()).getAsJsonObject());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The "data" of the phase services' model-and-ledger readiness check (or of the first check with data). */
    public static Optional<JsonObject> checkData(JsonObject health) {
        JsonArray checks = health.has("checks") ? health.getAsJsonArray("checks") : new JsonArray();
        JsonObject first = null;
        for (JsonElement c : checks) {
            JsonObject o = c.getAsJsonObject();
            if (o.has("data") && "model-and-ledger".equals(o.get("name").getAsString())) {
                return Optional.of(o.getAsJsonObject("data"));
            }
            if (o.has("data") && first == null) {
                first = o.getAsJsonObject("data");
            }
        }
        return Optional.ofNullable(first);
    }
}
