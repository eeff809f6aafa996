package dev.emend.cli.stack;

import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import picocli.CommandLine.Command;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code ./emend status}: each service, its readiness, supervision (restarts, last exit, backoff), version and spaces. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show each service of the local stack: ready or not, what the supervisor did (restarts, last exit, backoff), "
                + "its version, and (phase services) its spaces with their ledger heads.",
            "Exit 0 when every started service is ready, 1 otherwise."})
public final class StatusCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        StackLayout layout = new StackLayout(EmendCli.repoRoot());
        StackClient client = new StackClient(layout);
        boolean running = client.running().isPresent();
        System.out.println(running ? "stack: running (./emend down stops it; ./emend restart SERVICE restarts one)"
                : "stack: not started by ./emend up");
        String fmt = "%-20s %-6s %-22s %-8s %-40s %-16s %s%n";
        System.out.printf(fmt, "service", "port", "state", "restarts", "last exit", "version", "spaces (name@sequence)");
        int ready = 0;
        int expected = 0;
        for (StackLayout.Service s : StackLayout.SERVICES) {
            Optional<JsonObject> health = client.ready(s.port());
            Optional<JsonObject> data = health.flatMap(StackClient::checkData);
            Optional<JsonObject> supervised = client.service(s.module());
            String version = data.filter(d -> d.has("service_version")).map(d -> d.get("service_version").getAsString()).orElse("-");
            String spaces = data.filter(d -> d.has("spaces")).map(d -> d.get("spaces").getAsString()).orElse("-");
            String restarts = supervised.filter(o -> o.has("restarts")).map(o -> o.get("restarts").getAsString()).orElse("-");
            String lastExit = supervised.filter(o -> o.has("last_exit"))
                    .map(o -> o.get("last_exit").getAsInt() + " " + ago(o.get("last_exit_at").getAsString()) + " ("
                            + o.get("last_exit_reason").getAsString() + ")").orElse("-");
            System.out.printf(fmt, s.module(), s.port(), state(health.isPresent(), supervised), restarts, lastExit, version, spaces);
            ready += health.isPresent() ? 1 : 0;
            expected += supervised.map(o -> "not built".equals(o.get("state").getAsString()) ? 0 : 1).orElse(1);
        }
        return running && ready == expected ? 0 : 1;
    }

    /** "ready", "starting", "backoff, restart in 4 s", "gave up (./emend restart)", "not built", "down". */
    static String state(boolean ready, Optional<JsonObject> supervised) {
        if (ready) {
            return "ready";
        }
        if (supervised.isEmpty()) {
            return "down";
        }
        JsonObject o = supervised.get();
        String state = o.get("state").getAsString();
        return switch (state) {
            case "running" -> "starting";
            case "backoff" -> o.has("next_start_at")
                    ? "backoff, restart in " + Math.max(0, Duration.between(Instant.now(), Instant.parse(o.get("next_start_at").getAsString())).toSeconds()) + " s"
                    : "backoff";
            case "gave up" -> "gave up (see its log)";
            default -> state;
        };
    }

    /** "12 s ago", "3 min ago". */
    static String ago(String instant) {
        long s = Math.max(0, Duration.between(Instant.parse(instant), Instant.now()).toSeconds());
        return s < 120 ? s + " s ago" : s < 7200 ? s / 60 + " min ago" : s / 3600 + " h ago";
    }
}
