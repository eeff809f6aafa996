package dev.emend.cli.stack;

import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import picocli.CommandLine.Command;

import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code ./emend status}: each service, its readiness, version and spaces. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show each service of the local stack: ready or not, its version, and (phase services) its spaces with their ledger heads.")
public final class StatusCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        StackLayout layout = new StackLayout(EmendCli.repoRoot());
        StackClient client = new StackClient(layout);
        boolean running = client.running().isPresent();
        System.out.println(running ? "stack: running (./emend down stops it)" : "stack: not started by ./emend up");
        System.out.printf("%-20s %-6s %-10s %-16s %s%n", "service", "port", "state", "version", "spaces (name@sequence)");
        int ready = 0;
        for (StackLayout.Service s : StackLayout.SERVICES) {
            Optional<JsonObject> health = client.ready(s.port());
            Optional<JsonObject> data = health.flatMap(StackClient::checkData);
            String version = data.filter(d -> d.has("service_version")).map(d -> d.get("service_version").getAsString()).orElse("-");
            String spaces = data.filter(d -> d.has("spaces")).map(d -> d.get("spaces").getAsString()).orElse("-");
            System.out.printf("%-20s %-6d %-10s %-16s %s%n", s.module(), s.port(), health.isPresent() ? "ready" : "down", version, spaces);
            ready += health.isPresent() ? 1 : 0;
        }
        return running && ready > 0 ? 0 : 1;
    }
}
