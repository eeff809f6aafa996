package dev.emend.cli.remote;

import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import dev.emend.cli.stack.GatewayClient;
import dev.emend.cli.stack.StackLayout;
import java.io.PrintWriter;
import java.util.Map;

/**
 * A method's training through the running gateway ({@code ./emend train-mend --remote}):
 * {@code POST /v1/methods/{method}/training}, then the operation followed with the progress line
 * of {@code ./emend edit} ({@link OperationsCommand#follow}).
 */
public final class RemoteTraining {
    private RemoteTraining() {
    }

    /** Sends the training and follows it (unless {@code noWait}); exit code 0 when it succeeded, 1 otherwise. */
    public static int run(String method, Map<String, Object> body, String idempotencyKey, boolean noWait, PrintWriter out,
                          PrintWriter err) {
        GatewayClient gw = GatewayClient.local(new StackLayout(EmendCli.repoRoot()));
        Map<String, String> headers = idempotencyKey == null ? Map.of() : Map.of("Idempotency-Key", idempotencyKey);
        JsonObject op = gw.send("POST", "/v1/methods/" + Remote.seg(method) + "/training", body, headers);
        String id = Remote.str(op, "id");
        if (noWait) {
            out.println("training operation " + id + " accepted (" + Remote.str(op, "status") + "); follow it with ./emend operations "
                    + id + " --follow");
            out.flush();
            return 0;
        }
        JsonObject done = OperationsCommand.follow(gw, id, err);
        if (!"succeeded".equals(Remote.str(done, "status"))) {
            JsonObject error = done.has("error") ? done.getAsJsonObject("error") : new JsonObject();
            err.println("training " + Remote.str(done, "status") + ": " + Remote.str(error, "detail"));
            err.flush();
            return 1;
        }
        OperationsCommand.printTrained(done, out);
        out.flush();
        return 0;
    }
}
