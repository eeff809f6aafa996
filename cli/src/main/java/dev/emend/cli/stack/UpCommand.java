package dev.emend.cli.stack;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.emend.cli.EmendCli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code ./emend up}: builds what is missing, starts PostgreSQL and the services, waits for health. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the local stack: PostgreSQL (data in .emend/pgdata) and every service as its own process, "
                + "on the ports the k8s manifests use; waits until all are ready and prints the URLs and the admin key.")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--timeout", description = "Seconds to wait for all services to be ready (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 600;

    @Option(names = "--no-build", description = "Do not build missing or stale service packages.")
    boolean noBuild;

    @Override
    public Integer call() throws Exception {
        return up(new StackLayout(EmendCli.repoRoot()), timeoutSeconds, !noBuild, System.out, System.err);
    }

    /** Brings the stack up (or reports the running one); returns the exit code. */
    public static int up(StackLayout layout, int timeoutSeconds, boolean build, PrintStream out, PrintStream err) throws Exception {
        StackClient client = new StackClient(layout);
        Optional<Path> model = requestedModel(System.getenv(), Path.of(System.getProperty("user.dir")));
        int threads = StackSupervisor.serviceThreads(System.getenv(), Runtime.getRuntime().availableProcessors());
        if (client.running().isEmpty()) {
            Files.createDirectories(layout.logs());
            if (build) {
                buildMissing(layout, err);
            }
            Files.createDirectories(layout.logs());
            if (!Files.isRegularFile(layout.adminKey())) {
                byte[] key = new byte[24];
                new SecureRandom().nextBytes(key);
                Files.writeString(layout.adminKey(), "emend_admin_" + HexFormat.of().formatHex(key) + "\n");
                Files.setPosixFilePermissions(layout.adminKey(), PosixFilePermissions.fromString("rw-------"));
            }
            Files.deleteIfExists(layout.state());
            startSupervisor(layout, model);
            err.println("emend up: starting PostgreSQL and the services (logs in " + layout.logs() + ")");
            err.println("emend up: model " + model.orElse(StackSupervisor.modelDir(layout, java.util.Map.of()))
                    + (model.isPresent() ? " (" + StackSupervisor.MODEL_ENV + ")" : "") + ", " + threads
                    + " PyTorch thread(s) per service (" + StackSupervisor.THREADS_ENV + ")");
        } else {
            err.println("emend up: the stack is already running"
                    + (model.isPresent() ? "; " + StackSupervisor.MODEL_ENV + " applies when it starts (./emend down first)" : ""));
        }
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        JsonObject state = null;
        while (System.nanoTime() < deadline && (state = client.running().orElse(null)) == null) {
            Thread.sleep(250);
        }
        if (state == null) {
            err.println("emend up: the supervisor did not start; see " + layout.logs().resolve("supervisor.log"));
            return 1;
        }
        List<String> pending = new ArrayList<>();
        for (JsonElement e : state.getAsJsonArray("services")) {
            JsonObject s = e.getAsJsonObject();
            if (!"not built".equals(s.get("state").getAsString())) {
                pending.add(s.get("module").getAsString() + ":" + s.get("port").getAsInt());
            } else {
                err.println("  " + s.get("module").getAsString() + ": not built, skipped");
            }
        }
        List<String> failed = new ArrayList<>();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            pending.removeIf(p -> {
                String module = p.substring(0, p.indexOf(':'));
                int port = Integer.parseInt(p.substring(p.indexOf(':') + 1));
                if (client.ready(port).isPresent()) {
                    err.println("  ready: " + module + " on http://localhost:" + port);
                    return true;
                }
                Optional<JsonObject> s = client.service(module);
                if (s.isPresent() && "gave up".equals(s.get().get("state").getAsString())) {
                    failed.add(module + " (" + StackClient.exitSummary(s.get()) + "; the supervisor gave up restarting it; see "
                            + layout.logs().resolve(module + ".log") + ", then ./emend restart " + module.replace("-service", "") + ")");
                    return true;
                }
                return false;
            });
            if (!pending.isEmpty()) {
                Thread.sleep(500);
            }
        }
        if (!failed.isEmpty()) {
            err.println("emend up: not running: " + String.join("; ", failed));
            return 1;
        }
        if (!pending.isEmpty()) {
            err.println("emend up: not ready after " + timeoutSeconds + " s: " + pending + " (see " + layout.logs() + ")");
            return 1;
        }
        out.println("Emend is up.");
        for (StackLayout.Service s : StackLayout.SERVICES) {
            if (Files.isRegularFile(layout.jar(s))) {
                out.printf("  %-20s %s%s%n", s.module(), s.url(), s.module().equals("gateway") ? "  (REST; OpenAPI at /q/swagger-ui)" : "");
            }
        }
        out.println("  postgresql           " + layout.jdbcUrl() + "  (data in " + layout.pgData() + ")");
        out.println("  admin key            " + Files.readString(layout.adminKey()).trim() + "  (stored in " + layout.adminKey() + ")");
        out.println("Next: ./emend status, ./emend demo, ./emend spaces, ./emend restart SERVICE, ./emend down.");
        return 0;
    }

    /**
     * The checkpoint asked for with {@code EMEND_MODEL}, made absolute against the caller's working
     * directory (the supervisor runs in the repository root); empty when unset. A directory without
     * config.json is refused here rather than by three services crashing in a loop.
     */
    static Optional<Path> requestedModel(java.util.Map<String, String> env, Path workingDir) {
        String dir = env.get(StackSupervisor.MODEL_ENV);
        if (dir == null || dir.isBlank()) {
            return Optional.empty();
        }
        Path path = workingDir.resolve(dir).toAbsolutePath().normalize();
        if (!Files.isRegularFile(path.resolve("config.json"))) {
            throw new IllegalArgumentException(StackSupervisor.MODEL_ENV + "=" + dir + ": " + path
                    + (Files.isDirectory(path) ? " has no config.json" : " is not a directory")
                    + "; give a Hugging Face checkpoint directory (config.json, model.safetensors, tokenizer.json)"
                    + " or unset " + StackSupervisor.MODEL_ENV + " for the default model");
        }
        return Optional.of(path);
    }

    private static void startSupervisor(StackLayout layout, Optional<Path> model) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            cmd.add("/usr/bin/setsid"); // own session: a Ctrl-C in this terminal does not stop the stack
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(StackSupervisor.class.getName());
        cmd.add(layout.root().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        model.ifPresent(m -> pb.environment().put(StackSupervisor.MODEL_ENV, m.toString()));
        pb.directory(layout.root().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.logs().resolve("supervisor.log").toFile()))
                .start();
    }

    /** Packages every service module whose quarkus-run.jar is missing or older than its sources. */
    static void buildMissing(StackLayout layout, PrintStream err) throws IOException, InterruptedException {
        List<String> stale = new ArrayList<>();
        for (StackLayout.Service s : StackLayout.SERVICES) {
            Path module = layout.root().resolve(s.module());
            if (!Files.isRegularFile(module.resolve("pom.xml"))
                    || !Files.readString(module.resolve("pom.xml")).contains("quarkus-maven-plugin")) {
                continue; // not (yet) a service in this checkout
            }
            Path jar = layout.jar(s);
            if (!Files.isRegularFile(jar) || newerThan(module.resolve("src/main"), Files.getLastModifiedTime(jar).toMillis())) {
                stale.add(s.module());
            }
        }
        if (stale.isEmpty()) {
            return;
        }
        err.println("emend up: building " + String.join(", ", stale) + " (first run or sources changed; a few minutes)...");
        for (boolean offline : new boolean[] {true, false}) {
            List<String> cmd = new ArrayList<>(List.of("./mvnw", "-q", "-pl", String.join(",", stale), "-am", "package", "-DskipTests"));
            if (offline) {
                cmd.add(1, "-o");
            }
            Process p = new ProcessBuilder(cmd).directory(layout.root().toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.logs().resolve("build.log").toFile())).start();
            if (p.waitFor() == 0) {
                return;
            }
        }
        throw new IllegalStateException("building " + stale + " failed; see " + layout.logs().resolve("build.log"));
    }

    private static boolean newerThan(Path dir, long millis) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).anyMatch(f -> {
                try {
                    return Files.getLastModifiedTime(f).toMillis() > millis;
                } catch (IOException e) {
                    return true;
                }
            });
        }
    }
}
