package dev.emend.cli.stack;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import picocli.CommandLine.Command;

import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code ./emend down}: stops the services, then PostgreSQL; data stays in .emend/pgdata. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop the local stack started by ./emend up (services, then PostgreSQL). Edits stay in .emend/pgdata.")
public final class DownCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        StackLayout layout = new StackLayout(EmendCli.repoRoot());
        Optional<JsonObject> state = new StackClient(layout).running();
        if (state.isEmpty()) {
            System.out.println("emend down: no stack is running");
            return 0;
        }
        ProcessHandle supervisor = ProcessHandle.of(state.get().get("supervisor_pid").getAsLong()).orElse(null);
        if (supervisor != null) {
            supervisor.destroy();
            supervisor.onExit().get(60, TimeUnit.SECONDS);
        }
        // Anything the supervisor could not stop (it was killed itself, say) goes now.
        for (JsonElement e : state.get().getAsJsonArray("services")) {
            JsonObject s = e.getAsJsonObject();
            if (s.has("pid")) {
                ProcessHandle.of(s.get("pid").getAsLong()).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        System.out.println("emend down: stopped (data kept in " + layout.pgData() + ")");
        return 0;
    }
}
