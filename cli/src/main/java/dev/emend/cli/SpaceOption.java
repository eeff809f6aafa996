package dev.emend.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import dev.emend.cli.stack.GatewayClient;
import dev.emend.cli.stack.StackLayout;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Option;

/**
 * {@code --space NAME} (and {@code --phase}, {@code --json}) of generate and score: with it the
 * command asks a space of the running gateway instead of loading a model in this process. Local
 * stays the default, so {@code ./emend generate "..."} works without any service.
 */
final class SpaceOption {
    @Option(names = "--space", paramLabel = "NAME",
            description = "Ask this space of the running gateway ($EMEND_GATEWAY_URL, default http://localhost:8080; key from "
                    + "$EMEND_API_KEY or .emend/admin-key) instead of loading --model here. 'base' is the unedited model.")
    String space;

    @Option(names = "--phase", description = "With --space base: which phase's base model (default: the gateway's, mastery).")
    String phase;

    @Option(names = "--json", description = "With --space: print the gateway's JSON answer.")
    boolean json;

    /** Whether the command goes to the gateway; refuses --model together with --space. */
    boolean remote(ModelOption model) {
        if (space == null) {
            if (phase != null || json) {
                throw new IllegalArgumentException("--phase and --json need --space NAME (they apply to a space of the running gateway)");
            }
            return false;
        }
        if (model.model != null) {
            throw new IllegalArgumentException("give either --model DIR (run here) or --space NAME (ask the gateway), not both");
        }
        return true;
    }

    /** POST /v1/spaces/{space}/{call}[?phase=]. */
    JsonObject post(String call, Object body) {
        GatewayClient gw = GatewayClient.local(new StackLayout(EmendCli.repoRoot()));
        String path = "/v1/spaces/" + URLEncoder.encode(space, StandardCharsets.UTF_8) + "/" + call
                + (phase != null ? "?phase=" + URLEncoder.encode(phase, StandardCharsets.UTF_8) : "");
        return gw.post(path, body);
    }

    static String pretty(JsonObject o) {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o);
    }

    /** "[space s, mastery phase, sequence 3, stop: length]" for stderr. */
    static String answeredBy(JsonObject answer, String extra) {
        JsonObject v = answer.has("model_version") ? answer.getAsJsonObject("model_version") : new JsonObject();
        return "[space " + (answer.has("space") ? answer.get("space").getAsString() : "?") + ", "
                + (answer.has("phase") ? answer.get("phase").getAsString() : "?") + " phase, sequence "
                + (v.has("sequence") ? v.get("sequence").getAsString() : "?") + (extra.isEmpty() ? "" : ", " + extra) + "]";
    }
}
