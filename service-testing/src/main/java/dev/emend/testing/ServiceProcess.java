package dev.emend.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A packaged Emend service (a Quarkus fast-jar under {@code <module>/target/quarkus-app}) run as a
 * separate process, as production runs it: for tests that need a real service on the other end
 * of a gRPC channel (evaluation, gateway) or that kill one ({@code kill -9}) to prove the ledger
 * loses nothing. The module must have been packaged first (the reactor builds service modules
 * before the modules that test against them).
 */
public final class ServiceProcess implements AutoCloseable {
    private final String module;
    private final Path jar;
    private final Map<String, String> env;
    private final Path log;
    private final int port;
    private Process process;

    private ServiceProcess(String module, Path jar, int port, Map<String, String> env, Path log) {
        this.module = module;
        this.jar = jar;
        this.port = port;
        this.env = env;
        this.log = log;
    }

    /**
     * Starts {@code module} (e.g. "mastery-service") on a free port against {@code jdbcUrl} and
     * waits until it is ready. {@code extraEnv} adds settings (e.g. EMEND_MODEL).
     */
    public static ServiceProcess start(String module, String jdbcUrl, Map<String, String> extraEnv) {
        ServiceProcess p = spawn(module, jdbcUrl, extraEnv);
        try {
            p.awaitReady(Duration.ofMinutes(3));
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    /**
     * Starts every module of {@code modules} at once (their start-ups overlap: model loading,
     * Quarkus boot) and waits until all are ready; if one fails, all are stopped.
     */
    public static List<ServiceProcess> startAll(List<String> modules, String jdbcUrl, Map<String, String> extraEnv) {
        List<ServiceProcess> started = new ArrayList<>();
        try {
            for (String module : modules) {
                started.add(spawn(module, jdbcUrl, extraEnv));
            }
            for (int i = 0; i < started.size(); i++) {
                for (int attempt = 1; ; attempt++) {
                    ServiceProcess p = started.get(i);
                    try {
                        p.awaitReady(Duration.ofMinutes(3));
                        break;
                    } catch (IllegalStateException e) {
                        // The free port handed out can be taken meanwhile by another starting
                        // service's outgoing connection (an ephemeral port): start that one again
                        // on a new port.
                        if (attempt == 3 || p.process.isAlive() || !p.tail().contains("seems to be in use")) {
                            throw e;
                        }
                        started.set(i, spawn(p.module, jdbcUrl, extraEnv));
                    }
                }
            }
            return started;
        } catch (RuntimeException e) {
            started.forEach(ServiceProcess::close);
            throw e;
        }
    }

    private static ServiceProcess spawn(String module, String jdbcUrl, Map<String, String> extraEnv) {
        Path root = repoRoot();
        Path jar = root.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: package " + module + " first (./mvnw -pl " + module + " -am package -DskipTests)");
        }
        Map<String, String> env = new java.util.HashMap<>();
        env.put("EMEND_DB_URL", jdbcUrl);
        env.put("EMEND_DB_USER", "postgres");
        env.put("EMEND_DB_PASSWORD", "postgres");
        env.put("EMEND_MODEL", root.resolve("models/emend-facts").toString());
        env.put("EMEND_CACHE", root.resolve(".cache").toString());
        env.put("EMEND_DATA_DIR", root.toString()); // training files (TrainMethod) are read from the repository's benchmarks/
        env.putAll(extraEnv);
        Path log = root.resolve(module).resolve("target/" + module + "-" + System.nanoTime() + ".log");
        ServiceProcess p = new ServiceProcess(module, jar, freePort(), env, log);
        p.launch();
        return p;
    }

    /** The repository root (surefire passes emend.repo.root; else walk up to the parent pom). */
    public static Path repoRoot() {
        String root = System.getProperty("emend.repo.root");
        if (root != null) {
            return Path.of(root);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("mvnw")) && Files.isDirectory(d.resolve("models"))) {
                return d;
            }
        }
        throw new IllegalStateException("cannot find the repository root from " + Path.of("").toAbsolutePath());
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx2g");
        cmd.add("-Dquarkus.http.port=" + port);
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=1");
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        String cache = System.getProperty("DJL_CACHE_DIR", repoRoot().resolve(".cache/djl").toString());
        cmd.add("-DDJL_CACHE_DIR=" + cache);
        cmd.add("-jar");
        cmd.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        pb.environment().put("DJL_CACHE_DIR", cache);
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().put("MALLOC_ARENA_MAX", "2");
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + module + ": " + e.getMessage(), e);
        }
    }

    /** Polls /q/health/ready until it answers 200 (model loaded, ledger replayed). */
    public void awaitReady(Duration timeout) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(module + " exited with " + process.exitValue() + " during start; log: " + tail());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException(module + " not ready within " + timeout + "; log: " + tail());
    }

    public int port() {
        return port;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** SIGKILL: no shutdown hooks, no flushing (a crash). */
    public void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the same service again on the same port and database (after {@link #kill9()}). */
    public void restart() {
        if (process != null && process.isAlive()) {
            kill9();
        }
        launch();
        awaitReady(Duration.ofMinutes(3));
    }

    /** The last lines of the service's log, for failure messages. */
    public String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
