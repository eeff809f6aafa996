package dev.emend.cli.stack;

import java.nio.file.Path;
import java.util.List;

/**
 * Where the local stack lives and which ports it uses: the same ports and environment variables
 * the k8s manifests give each service. State under {@code <repo>/.emend/}: the PostgreSQL data
 * folder (edits survive {@code down}/{@code up}), logs, the admin key and the running stack's
 * {@code stack.json}.
 */
public record StackLayout(Path root) {
    /** PostgreSQL port of the local stack (not 5432, to stay clear of a system PostgreSQL). */
    public static final int PG_PORT = 55432;

    /** A service of the stack: its module, port and whether it loads the model. */
    public record Service(String module, int port, boolean phase) {
        public String url() {
            return "http://localhost:" + port;
        }
    }

    /** Start order: phases first, then evaluation, then the gateway that routes to them. */
    public static final List<Service> SERVICES = List.of(
            new Service("recognition-service", 8081, true),
            new Service("association-service", 8082, true),
            new Service("mastery-service", 8083, true),
            new Service("evaluation-service", 8084, false),
            new Service("gateway", 8080, false));

    public Path home() {
        return root.resolve(".emend");
    }

    public Path pgData() {
        return home().resolve("pgdata");
    }

    public Path logs() {
        return home().resolve("logs");
    }

    public Path state() {
        return home().resolve("stack.json");
    }

    /** Requests to the running supervisor: a file {@code restart-<module>} asks it to restart that service. */
    public Path control() {
        return home().resolve("control");
    }

    /** Where evaluation-service writes its per-run reports (ignored by git, unlike the old {@code reports/}). */
    public Path reports() {
        return home().resolve("reports");
    }

    public Path adminKey() {
        return home().resolve("admin-key");
    }

    /**
     * The service named {@code name}: its module ("mastery-service") or the module without
     * "-service" ("mastery").
     */
    public static Service service(String name) {
        for (Service s : SERVICES) {
            if (s.module().equals(name) || s.module().equals(name + "-service")) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown service '" + name + "'; one of "
                + SERVICES.stream().map(s -> s.module().replace("-service", "")).toList());
    }

    public Path jar(Service s) {
        return root.resolve(s.module()).resolve("target/quarkus-app/quarkus-run.jar");
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + PG_PORT + "/emend";
    }
}
