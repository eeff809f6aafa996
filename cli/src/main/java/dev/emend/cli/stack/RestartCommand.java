package dev.emend.cli.stack;

import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code ./emend restart SERVICE}: asks the running supervisor to stop one service and start it
 * again (the others keep serving; a phase's ledger is in PostgreSQL, so its edits come back), waits
 * with a progress line until the service is ready and, for a phase, until the gateway routes to it.
 */
@Command(name = "restart", mixinStandardHelpOptions = true,
        description = "Restart one service of the running stack and wait until it is ready (and, for a phase, until the "
                + "gateway routes to it again). The other services keep running; edits are kept.")
public final class RestartCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SERVICE", description = "recognition, association, mastery, evaluation or gateway "
            + "(the module name, e.g. mastery-service, works too).")
    String name;

    @Option(names = "--timeout", description = "Seconds to wait for the service to be ready (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 300;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        StackLayout.Service svc = StackLayout.service(name);
        StackLayout layout = new StackLayout(EmendCli.repoRoot());
        StackClient client = new StackClient(layout);
        Optional<JsonObject> entry = client.service(svc.module());
        if (entry.isEmpty()) {
            err.println("emend restart: no stack is running; start it with ./emend up");
            return 1;
        }
        if ("not built".equals(entry.get().get("state").getAsString())) {
            err.println("emend restart: " + svc.module() + " was not built when the stack started; ./emend down, then ./emend up builds it");
            return 1;
        }
        int restartsBefore = entry.get().get("restarts").getAsInt();
        Files.createDirectories(layout.control());
        Files.writeString(layout.control().resolve("restart-" + svc.module()), "");
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        ProgressLine progress = new ProgressLine(err, "restarting " + svc.module());
        // The supervisor counts the restart once the new process runs (stopping the old one takes up to 20 s).
        while (client.service(svc.module()).map(s -> s.get("restarts").getAsInt() <= restartsBefore).orElse(true)) {
            if (client.running().isEmpty()) {
                progress.done();
                err.println("emend restart: the stack stopped meanwhile");
                return 1;
            }
            if (System.nanoTime() > deadline) {
                progress.done();
                err.println("emend restart: the supervisor did not restart " + svc.module() + " within " + timeoutSeconds
                        + " s; see " + layout.logs().resolve("supervisor.log"));
                return 1;
            }
            progress.tick("stopping");
            Thread.sleep(250);
        }
        while (client.ready(svc.port()).isEmpty()) {
            JsonObject s = client.service(svc.module()).orElse(new JsonObject());
            String state = s.has("state") ? s.get("state").getAsString() : "gone";
            if (System.nanoTime() > deadline || state.equals("gave up") || state.equals("gone")) {
                progress.done();
                err.println("emend restart: " + svc.module() + " is not ready (" + state
                        + (s.has("last_exit") ? ", " + StackClient.exitSummary(s) : "") + "); see " + layout.logs().resolve(svc.module() + ".log"));
                return 1;
            }
            progress.tick("starting (" + state + ")");
            Thread.sleep(500);
        }
        progress.done();
        long pid = client.service(svc.module()).map(s -> s.has("pid") ? s.get("pid").getAsLong() : -1).orElse(-1L);
        out.printf(Locale.ROOT, "%s restarted (pid %d), ready after %.1f s%n", svc.module(), pid, progress.seconds());
        out.flush();
        if (svc.phase()) {
            return awaitGateway(layout, svc, deadline, out, err);
        }
        return 0;
    }

    /** Waits until the gateway lists the phase among those it reaches (GET /v1/spaces). */
    private static int awaitGateway(StackLayout layout, StackLayout.Service svc, long deadline, PrintWriter out, PrintWriter err)
            throws Exception {
        StackLayout.Service gateway = StackLayout.service("gateway");
        if (new StackClient(layout).ready(gateway.port()).isEmpty()) {
            return 0; // no gateway to route through
        }
        String phase = svc.module().replace("-service", "");
        GatewayClient gw = GatewayClient.local(layout);
        ProgressLine progress = new ProgressLine(err, "waiting for the gateway to route to " + phase);
        while (gw.unavailablePhases().contains(phase)) {
            if (System.nanoTime() > deadline) {
                progress.done();
                err.println("emend restart: the gateway still answers 503 for " + phase + "; see " + layout.logs().resolve("gateway.log"));
                return 1;
            }
            progress.tick("");
            Thread.sleep(250);
        }
        progress.done();
        out.printf(Locale.ROOT, "the gateway routes to %s again (%.1f s after it was ready)%n", phase, progress.seconds());
        return 0;
    }

}
